import { type AddressInfo, type Server, createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { TcpConnection, type TcpConnectionContext } from './tcp-connection.js';

/**
 * The CosmicProto TCP port: accepts connections and drains them on shutdown.
 * An address holding `maxConnectionsPerIp` connections in this process has
 * further ones closed at once, before a byte is read: their framing is not
 * known yet, so there is no packet to explain it in.
 */
export class TcpListener {
  private server: Server | undefined;
  private readonly connections = new Set<TcpConnection>();
  private readonly openPerAddress = new Map<string, number>();

  constructor(private readonly context: TcpConnectionContext) {}

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  /** Resolves with the bound port once listening. */
  async open(host: string, port: number): Promise<number> {
    // allowHalfOpen: a client that writes its packets and then ends its side still gets every reply.
    const server = createServer({ allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 });
    server.on('connection', (socket) => {
      const address = socket.remoteAddress ?? 'unknown';
      const open = this.openPerAddress.get(address) ?? 0;
      if (open >= this.context.limits.maxConnectionsPerIp) {
        this.context.metrics.errors.inc({ transport: 'tcp', code: 'TOO_MANY_CONNECTIONS' });
        socket.destroy();
        return;
      }
      this.openPerAddress.set(address, open + 1);
      const connection = new TcpConnection(socket, this.context);
      this.connections.add(connection);
      void connection.closed.then(() => {
        this.connections.delete(connection);
        const left = (this.openPerAddress.get(address) ?? 1) - 1;
        if (left > 0) this.openPerAddress.set(address, left);
        else this.openPerAddress.delete(address);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.context.logger.error({ err: error }, 'wire TCP listener error'));
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  /**
   * Stops accepting, lets every connection finish the packets it already
   * sent (their acks included) and tells it to reconnect; whatever is still
   * open after `drainTimeoutMs` is closed.
   */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    const drained = Promise.all([...this.connections].map((connection) => connection.drain()));
    const timeout = new AbortController();
    await Promise.race([drained, delay(this.context.limits.drainTimeoutMs, undefined, { signal: timeout.signal }).catch(() => {})]);
    timeout.abort();
    for (const connection of this.connections) connection.destroy();
    await stopped;
  }
}
