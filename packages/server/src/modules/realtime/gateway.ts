import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { CLOSE_CODES } from '@kaif/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import type { FloodLimits } from '../../platform/flood/flood-limits.js';
import type { HttpServer } from '../../platform/http/http-server.js';
import { isUpgradeClaimed } from '../../platform/http/upgrade-claims.js';
import { Connection, type ConnectionDeps } from './connection.js';

export interface GatewayDeps extends ConnectionDeps {
  readonly http: HttpServer;
  /** Upgrades draw on the address's cluster-wide budget. */
  readonly flood: FloodLimits;
  readonly originAllowed: (origin: string | undefined, host: string | undefined) => boolean;
  /** The client's address, for per-IP flood limits (honours KAIF_TRUST_PROXY). */
  readonly clientIpOf: (request: IncomingMessage) => string;
  readonly isDraining: () => boolean;
  /** Runs at every heartbeat with the users connected here (presence refresh). */
  readonly onHeartbeat: () => void;
}

const WS_PATH = '/ws';
/** Upgrades under this prefix belong to the Socket.IO endpoint (socket-io-endpoint.ts). */
const SOCKET_IO_PREFIX = '/socket.io/';
/** How long shutdown waits for clients to acknowledge the close before cutting them off. */
const CLOSE_GRACE_MS = 2000;
/** The heartbeat wheel's slots: each tick pings one slot's connections, so pings are spread over the interval. */
const HEARTBEAT_SLOTS = 8;

/**
 * `GET /ws` on the HTTP port: upgrades allowed requests and tracks the
 * connections for heartbeats and shutdown.
 *
 * Heartbeats are one timer wheel for all connections, not a timer each: one
 * interval ticks `HEARTBEAT_SLOTS` times per `heartbeatMs`, each tick visits
 * the connections of one slot (by connection number), so every connection is
 * pinged once per `heartbeatMs` and one that did not answer the previous
 * ping is dropped at its next visit: between one and two intervals after it
 * fell silent.
 */
export class Gateway {
  private readonly server: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private heartbeat: NodeJS.Timeout | undefined;
  private tick = 0;
  /** Resolves shutdown's wait once the last connection let go. */
  private whenEmpty: (() => void) | undefined;
  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head);
  private readonly onReleased = (connection: Connection) => this.released(connection);

  constructor(private readonly deps: GatewayDeps) {
    this.server = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: deps.options.maxFrameBytes,
      perMessageDeflate: false,
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  open(): void {
    this.deps.http.server.on('upgrade', this.onUpgrade);
    this.heartbeat = setInterval(() => this.beat(), this.deps.options.heartbeatMs / HEARTBEAT_SLOTS);
    this.heartbeat.unref();
  }

  /** Stops accepting, closes every socket with 1001 (going away) and waits for them to let go. */
  async close(): Promise<void> {
    this.deps.http.server.off('upgrade', this.onUpgrade);
    clearInterval(this.heartbeat);
    const released = new Promise<void>((resolve) => {
      this.whenEmpty = resolve;
      if (this.connections.size === 0) resolve();
    });
    for (const connection of this.connections) connection.close(CLOSE_CODES.GOING_AWAY, 'server shutting down');
    const grace = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref());
    await Promise.race([released, grace]);
    for (const connection of this.connections) connection.terminate();
    await released;
    this.server.close();
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '').split('?')[0] ?? '';
    if (path.startsWith(SOCKET_IO_PREFIX) || isUpgradeClaimed(request)) return;
    if (path !== WS_PATH) {
      // Nobody else answers it: a stray upgrade left unanswered would hang until the client gives up.
      reject(socket, 404, 'Not Found');
      return;
    }
    if (this.deps.isDraining()) {
      reject(socket, 503, 'Service Unavailable');
      return;
    }
    if (!this.deps.originAllowed(request.headers.origin, request.headers.host)) {
      this.deps.metrics.authFailures.inc({ reason: 'origin' });
      reject(socket, 403, 'Forbidden');
      return;
    }
    // Connection attempts draw on the address's cluster-wide budget, like
    // API requests, so a reconnect storm cannot exhaust the gateway.
    const address = this.deps.clientIpOf(request);
    this.deps.flood.consumeIp(address).then(
      () => this.server.handleUpgrade(request, socket, head, (ws) => this.accept(ws, socket, address)),
      (error: unknown) => {
        this.deps.metrics.authFailures.inc({ reason: 'flood' });
        const retryAfter = (error as { retryAfter?: number }).retryAfter ?? 1;
        reject(socket, 429, 'Too Many Requests', `Retry-After: ${retryAfter}\r\n`);
      },
    );
  }

  /** Outside `upgrade`, so nothing the connection holds keeps the upgrade request alive. */
  private accept(ws: WebSocket, socket: Duplex, address: string): void {
    this.connections.add(new Connection(ws, socket, this.deps, address, this.onReleased));
    this.deps.metrics.connections.inc();
  }

  private released(connection: Connection): void {
    this.connections.delete(connection);
    this.deps.metrics.connections.dec();
    if (this.connections.size === 0) this.whenEmpty?.();
  }

  /** One tick of the heartbeat wheel; a full turn also refreshes presence. */
  private beat(): void {
    const slot = this.tick++ % HEARTBEAT_SLOTS;
    for (const connection of this.connections) if (connection.slot(HEARTBEAT_SLOTS) === slot) connection.heartbeat();
    if (slot === HEARTBEAT_SLOTS - 1) this.deps.onHeartbeat();
  }
}

function reject(socket: Duplex, status: number, text: string, headers = ''): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\n${headers}Connection: close\r\nContent-Length: 0\r\n\r\n`);
}
