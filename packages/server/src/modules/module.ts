import type { Registry } from 'prom-client';
import type { BlobStore } from '../platform/blob/blob-store.js';
import type { Bus } from '../platform/bus/bus.js';
import type { Config } from '../platform/config/config.js';
import type { SealedSample, SecretBox } from '../platform/crypto/secret-box.js';
import type { Database, ModuleMigrations } from '../platform/db/database.js';
import type { FloodLimits } from '../platform/flood/flood-limits.js';
import type { BreakerSource, HealthCheck } from '../platform/health/health.js';
import type { HttpServer } from '../platform/http/http-server.js';
import type { KeyValueStore } from '../platform/kv/key-value-store.js';
import type { Logger } from '../platform/logging/logger.js';
import type { DependencyPolicy } from '../platform/resilience/dependency-policy.js';
import type { RoleName } from '../roles.js';
import type { ServiceMap } from './service-map.js';

/** What a module gets to work with: interfaces only, chosen at start-up. */
export interface ModuleContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly db: Database;
  readonly kv: KeyValueStore;
  readonly bus: Bus;
  readonly secrets: SecretBox;
  /** Media bytes: files in KAIF_DATA_DIR or S3-compatible storage. */
  readonly blobs: BlobStore;
  readonly http: HttpServer;
  readonly roles: ReadonlySet<RoleName>;
  /** Cluster-wide flood limits per user and per IP, shared by every transport. */
  readonly flood: FloodLimits;
  /** Tells the local outbox relay that a transaction with events committed. */
  readonly outboxCommitted: () => void;
  /** How far live delivery trails the commits: the local outbox relay's OutboxRelay.behindMs, or on a node without one what the cluster's relay shares (RelayLagFollower). */
  readonly outboxBehindMs: () => number;
  /** A policy for a new external dependency, shown in /health and /metrics. */
  readonly policyFor: (dependency: string) => DependencyPolicy;
  /** Another module's public interface; it must be listed in `dependsOn`. */
  service<K extends keyof ServiceMap>(name: K): ServiceMap[K];
  /** Whether the process is draining (for listeners that poll it). */
  readonly isDraining: () => boolean;
  /** Records a port a listener bound (port 0 = any free port), so `RunningServer.ports` reports it. */
  readonly announcePort: (name: string, port: number) => void;
}

/** What a module opens when this process runs a role. */
export interface RoleListener {
  /** Called before the HTTP port opens: register routes, bind ports, start loops. */
  open(): Promise<void>;
  /** Stop accepting new work and finish what is in flight. */
  close?(): Promise<void>;
}

export interface ModuleInstance<Api = unknown> {
  /** The module's public interface, registered under its name. */
  readonly api?: Api;
  readonly listeners?: Partial<Record<RoleName, RoleListener>>;
  readonly checks?: readonly HealthCheck[];
  /**
   * Breakers of the module's own policies, beside those made through
   * `policyFor` (e.g. one per push-service origin, bounded), read at each
   * /health.
   */
  readonly breakers?: () => readonly BreakerSource[];
  /** Releases what init acquired (timers, subscriptions). */
  stop?(): Promise<void>;
}

export interface KaifModule {
  readonly name: keyof ServiceMap | 'ops';
  readonly migrations?: ModuleMigrations;
  readonly dependsOn?: readonly (keyof ServiceMap)[];
  /**
   * For a module that stores values sealed by `ctx.secrets`: one sealed value
   * per key id its rows use, with its associated data. Opened at start,
   * before init, so a node lacking one of those keys, or holding another key
   * under the same id, refuses to start instead of failing requests.
   */
  readonly sealedSamples?: (db: Database) => Promise<readonly SealedSample[]>;
  init(context: ModuleContext): Promise<ModuleInstance>;
}
