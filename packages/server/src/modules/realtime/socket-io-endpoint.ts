import type { IncomingMessage } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { GatewayDeps } from './gateway.js';
import { SocketIoConnection } from './socket-io-connection.js';

export type SocketIoEndpointDeps = Omit<GatewayDeps, 'onHeartbeat'>;

/** Where engine.io answers; the gateway leaves upgrades under it alone. */
export const SOCKET_IO_PATH = '/socket.io';
/** How long shutdown waits for clients to let go before closing the engine under them. */
const CLOSE_GRACE_MS = 2000;

/**
 * `/socket.io` on the HTTP port: a Socket.IO v4 server beside the `/ws`
 * gateway, with the same rules because both are codecs on one session. The
 * handshake is where the gateway's upgrade checks run — draining, browser
 * Origin (origin-policy.ts), the address's flood budget — and the namespace
 * middleware authenticates `auth.token` before the client is connected.
 * engine.io's own heartbeat (pingInterval) drops dead peers.
 */
export class SocketIoEndpoint {
  private io: Server | undefined;
  private readonly connections = new Set<SocketIoConnection>();

  constructor(private readonly deps: SocketIoEndpointDeps) {}

  open(): void {
    const { options } = this.deps;
    const io = new Server(this.deps.http.server, {
      path: SOCKET_IO_PATH,
      serveClient: false,
      // engine.io would otherwise destroy every upgrade it does not own after
      // a second, a slow `/ws` auth included; the gateway answers those itself.
      destroyUpgrade: false,
      maxHttpBufferSize: options.maxFrameBytes,
      pingInterval: options.heartbeatMs,
      connectTimeout: options.authTimeoutMs,
      perMessageDeflate: false,
      httpCompression: false,
      allowRequest: (request, answer) => void this.admit(request).then((refusal) => answer(refusal ?? null, refusal === undefined)),
    });
    io.use((socket, next) => {
      this.authenticate(socket).then(
        () => next(),
        (error: unknown) => next(error as Error),
      );
    });
    io.on('connection', (socket) => (socket.data as { connection: SocketIoConnection }).connection.start());
    this.io = io;
  }

  /** Disconnects every client (their sessions close) and stops the engine; the HTTP server stays up for its owner to close. */
  async close(): Promise<void> {
    const io = this.io;
    if (!io) return;
    this.io = undefined;
    const connections = [...this.connections];
    for (const connection of connections) connection.disconnect();
    const grace = new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref());
    await Promise.race([Promise.all(connections.map((connection) => connection.released)), grace]);
    io.engine.close();
  }

  /** The handshake's checks; the reason it is refused, or undefined to let it through. */
  private async admit(request: IncomingMessage): Promise<string | undefined> {
    if (this.deps.isDraining()) return 'NOT_READY';
    if (!this.deps.originAllowed(request.headers.origin, request.headers.host)) {
      this.deps.metrics.authFailures.inc({ reason: 'origin' });
      return 'FORBIDDEN';
    }
    try {
      // Like a /ws upgrade: a reconnect storm draws on the address's cluster-wide budget.
      await this.deps.flood.consumeIp(this.deps.clientIpOf(request));
      return undefined;
    } catch {
      this.deps.metrics.authFailures.inc({ reason: 'flood' });
      return 'FLOOD_WAIT';
    }
  }

  /** Opens the session and authenticates it; a refusal reaches the client as `connect_error` with `data: {code, message}`. */
  private async authenticate(socket: Socket): Promise<void> {
    const connection = new SocketIoConnection(socket, this.deps, this.deps.clientIpOf(socket.request));
    try {
      await connection.authenticate((socket.handshake.auth as { token?: unknown }).token);
    } catch (error) {
      connection.abandon();
      throw refusal(error, this.deps);
    }
    // A client gone during the auth never connects nor disconnects: let go of its session here.
    if (socket.conn.readyState !== 'open') {
      connection.abandon();
      throw new Error('NOT_READY');
    }
    (socket.data as { connection: SocketIoConnection }).connection = connection;
    this.connections.add(connection);
    this.deps.metrics.connections.inc();
    void connection.released.then(() => {
      this.connections.delete(connection);
      this.deps.metrics.connections.dec();
    });
  }
}

/** The middleware error Socket.IO sends as `connect_error`: the message is the code, `data` the error payload. */
function refusal(error: unknown, deps: SocketIoEndpointDeps): Error {
  const kaif = error instanceof KaifError ? error : new KaifError('INTERNAL');
  if (!(error instanceof KaifError)) deps.logger.error({ err: (error as Error).message }, 'Socket.IO authentication failed');
  deps.metrics.authFailures.inc({ reason: kaif.code === 'DEPENDENCY_UNAVAILABLE' ? 'unavailable' : 'token' });
  return Object.assign(new Error(kaif.code), { data: kaif.toPayload() });
}
