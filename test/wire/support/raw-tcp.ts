import { type Socket, connect } from 'node:net';

const PUSHED = new Set(['NewMessage', 'Typing', 'Status']);

export type Packet = Record<string, unknown> & { readonly packet_type: string };

/**
 * A client as the original design's TypeScript example wrote it: a bare
 * `net` socket writing `JSON.stringify(packet)` with no newline. Reads the
 * server's JSON lines into a queue the test can wait on.
 */
export class RawJsonClient {
  readonly received: Packet[] = [];
  private buffered = '';
  private waiters: (() => void)[] = [];
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffered += text;
      let newline = this.buffered.indexOf('\n');
      while (newline >= 0) {
        this.received.push(JSON.parse(this.buffered.slice(0, newline)) as Packet);
        this.buffered = this.buffered.slice(newline + 1);
        newline = this.buffered.indexOf('\n');
      }
      this.wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      }),
    );
  }

  static connect(port: number): Promise<RawJsonClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('error', reject);
      socket.once('connect', () => resolve(new RawJsonClient(socket)));
    });
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /** Writes packets back to back, as one chunk, with nothing between them. */
  write(...packets: readonly object[]): void {
    this.socket.write(packets.map((packet) => JSON.stringify(packet)).join(''));
  }

  writeRaw(bytes: string | Uint8Array): void {
    this.socket.write(bytes);
  }

  /**
   * Waits for the next `count` replies and errors, in order, leaving pushed
   * NewMessage, Typing and Status packets queued for `nextMatching`.
   */
  async nextReplies(count: number, timeoutMs = 5_000): Promise<Packet[]> {
    const replies = () => this.received.filter((packet) => !PUSHED.has(packet.packet_type));
    await this.until(() => replies().length >= count, timeoutMs, `${count} replies (got ${replies().length})`);
    const taken = replies().slice(0, count);
    for (const packet of taken) this.received.splice(this.received.indexOf(packet), 1);
    return taken;
  }

  async next(timeoutMs = 5_000): Promise<Packet> {
    const [packet] = await this.nextReplies(1, timeoutMs);
    return packet!;
  }

  /** Waits for a packet matching `predicate`, skipping others. */
  async nextMatching(predicate: (packet: Packet) => boolean, timeoutMs = 5_000): Promise<Packet> {
    await this.until(() => this.received.some(predicate), timeoutMs, 'a matching packet');
    const index = this.received.findIndex(predicate);
    return this.received.splice(index, 1)[0]!;
  }

  async untilClosed(timeoutMs = 5_000): Promise<void> {
    await this.until(() => this.ended, timeoutMs, 'the server to close the connection');
  }

  close(): void {
    this.socket.destroy();
  }

  private until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      const check = () => {
        if (!done()) {
          this.waiters.push(check);
          return;
        }
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

/** Authenticates a raw client and checks the Ack. */
export async function rawAuthenticated(port: number, token: string): Promise<RawJsonClient> {
  const client = await RawJsonClient.connect(port);
  client.write({ packet_type: 'Auth', token });
  const ack = await client.next();
  if (ack.packet_type !== 'Ack' || ack.success !== true) throw new Error(`Auth refused: ${JSON.stringify(ack)}`);
  return client;
}
