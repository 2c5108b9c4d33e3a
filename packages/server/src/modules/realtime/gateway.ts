import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { CLOSE_CODES } from '@kaif/protocol';
import { WebSocketServer } from 'ws';
import type { FloodLimits } from '../../platform/flood/flood-limits.js';
import type { HttpServer } from '../../platform/http/http-server.js';
import { coalesceReplies } from './reply-coalescing.js';
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

/**
 * `GET /ws` on the HTTP port: upgrades allowed requests and tracks the
 * connections for heartbeats and shutdown.
 */
export class Gateway {
  private readonly server: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(request, socket, head);

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
    this.heartbeat = setInterval(() => {
      for (const connection of this.connections) connection.heartbeat();
      this.deps.onHeartbeat();
    }, this.deps.options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Stops accepting, closes every socket with 1001 (going away) and waits for them to let go. */
  async close(): Promise<void> {
    this.deps.http.server.off('upgrade', this.onUpgrade);
    clearInterval(this.heartbeat);
    const connections = [...this.connections];
    for (const connection of connections) connection.close(CLOSE_CODES.GOING_AWAY, 'server shutting down');
    const released = Promise.all(connections.map((connection) => connection.released));
    const grace = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref());
    await Promise.race([released, grace]);
    for (const connection of this.connections) connection.terminate();
    await released;
    this.server.close();
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '').split('?')[0] ?? '';
    if (path.startsWith(SOCKET_IO_PREFIX)) return;
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
      () =>
        this.server.handleUpgrade(request, socket, head, (ws) => {
          coalesceReplies(socket);
          const connection = new Connection(ws, this.deps, address);
          this.connections.add(connection);
          this.deps.metrics.connections.inc();
          void connection.released.then(() => {
            this.connections.delete(connection);
            this.deps.metrics.connections.dec();
          });
        }),
      (error: unknown) => {
        this.deps.metrics.authFailures.inc({ reason: 'flood' });
        const retryAfter = (error as { retryAfter?: number }).retryAfter ?? 1;
        reject(socket, 429, 'Too Many Requests', `Retry-After: ${retryAfter}\r\n`);
      },
    );
  }
}

function reject(socket: Duplex, status: number, text: string, headers = ''): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\n${headers}Connection: close\r\nContent-Length: 0\r\n\r\n`);
}
