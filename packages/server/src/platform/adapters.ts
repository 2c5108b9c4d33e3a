import { join, resolve } from 'node:path';
import type { Registry } from 'prom-client';
import type { BlobStore } from './blob/blob-store.js';
import { createDiskBlobStore } from './blob/disk-blob-store.js';
import { openS3BlobStore } from './blob/s3-blob-store.js';
import type { Bus } from './bus/bus.js';
import { createMemoryBus } from './bus/memory-bus.js';
import { openNatsBus } from './bus/nats-bus.js';
import type { Config } from './config/config.js';
import { SecretBox, loadOrCreateDataDirKey, parseSecretKeys } from './crypto/secret-box.js';
import type { Database } from './db/database.js';
import { openPgliteDatabase } from './db/pglite-database.js';
import { openPostgresDatabase } from './db/postgres-database.js';
import type { KeyValueStore } from './kv/key-value-store.js';
import { createDegradingKeyValueStore } from './kv/degrading-key-value-store.js';
import { createMemoryKeyValueStore } from './kv/memory-key-value-store.js';
import { openRedisKeyValueStore } from './kv/redis-key-value-store.js';
import type { Logger } from './logging/logger.js';
import { type DependencyPolicy, createDependencyPolicy } from './resilience/dependency-policy.js';

export interface Adapters {
  readonly db: Database;
  readonly kv: KeyValueStore;
  readonly bus: Bus;
  readonly secrets: SecretBox;
  readonly blobs: BlobStore;
  readonly policies: readonly DependencyPolicy[];
  readonly policyFor: (dependency: string) => DependencyPolicy;
  close(): Promise<void>;
}

export interface AdapterOverrides {
  /** Use this database instead of opening one (tests share a migrated template). */
  readonly db?: Database;
}

/**
 * Chooses every platform adapter once, from configuration: an engine URL
 * selects the network implementation, its absence the embedded one. Logs the
 * choice. On failure, closes whatever it had opened before rethrowing.
 */
export async function openAdapters(
  config: Config,
  logger: Logger,
  registry: Registry,
  overrides: AdapterOverrides = {},
): Promise<Adapters> {
  const policies = new Map<string, DependencyPolicy>();
  const policyFor = (dependency: string) => {
    let policy = policies.get(dependency);
    if (!policy) {
      policy = createDependencyPolicy(
        dependency,
        { logger, registry },
        {
          timeoutMs: config.KAIF_DEPENDENCY_TIMEOUT_MS,
          breakAfter: config.KAIF_BREAKER_FAILURES,
          halfOpenAfterMs: config.KAIF_BREAKER_HALF_OPEN_MS,
        },
      );
      policies.set(dependency, policy);
    }
    return policy;
  };
  const opened: { close(): Promise<void> }[] = [];
  try {
    const dataDir = resolve(config.KAIF_DATA_DIR);
    const db =
      overrides.db ??
      (config.DATABASE_URL
        ? await openPostgresDatabase({
            url: config.DATABASE_URL,
            poolSize: config.KAIF_DB_POOL_SIZE,
            policy: policyFor('postgres'),
            logger,
            registry,
          })
        : await openPgliteDatabase({ dataDir: join(dataDir, 'pglite') }));
    if (!overrides.db) opened.push(db);
    const kv = config.REDIS_URL
      ? createDegradingKeyValueStore(
          await openRedisKeyValueStore(config.REDIS_URL, {
            policy: policyFor('redis'),
            logger,
            keyPrefix: config.KAIF_REDIS_PREFIX,
          }),
          createMemoryKeyValueStore(),
          logger,
        )
      : createMemoryKeyValueStore();
    opened.push(kv);
    const bus = config.NATS_URL
      ? await openNatsBus(config.NATS_URL, { policy: policyFor('nats'), logger })
      : createMemoryBus();
    opened.push(bus);
    const secrets = new SecretBox(
      config.KAIF_SECRET_KEY ? parseSecretKeys(config.KAIF_SECRET_KEY) : await loadOrCreateDataDirKey(dataDir),
    );
    const blobs = config.KAIF_S3_URL
      ? await openS3BlobStore({
          url: config.KAIF_S3_URL,
          bucket: config.KAIF_S3_BUCKET,
          region: config.KAIF_S3_REGION,
          accessKeyId: config.KAIF_S3_ACCESS_KEY_ID!,
          secretAccessKey: config.KAIF_S3_SECRET_ACCESS_KEY!,
          policy: policyFor('s3'),
          logger,
        })
      : createDiskBlobStore(join(dataDir, 'blobs'));
    opened.push(blobs);
    logger.info(
      { database: db.kind, kv: kv.kind, bus: bus.kind, blobs: blobs.kind, secretKeyId: secrets.currentKeyId },
      'platform adapters chosen',
    );
    return {
      db,
      kv,
      bus,
      secrets,
      blobs,
      get policies() {
        return [...policies.values()];
      },
      policyFor,
      async close() {
        for (const adapter of [...opened].reverse()) await adapter.close().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const adapter of opened.reverse()) await adapter.close().catch(() => undefined);
    throw error;
  }
}
