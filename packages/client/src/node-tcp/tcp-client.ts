import { randomUUID } from 'node:crypto';
import { type Socket, connect } from 'node:net';
import {
  type ChatId,
  type Framing,
  JsonPacketReader,
  type MessageId,
  MsgpackFrameReader,
  type PacketReader,
  type PresenceStatus,
  type ServerPacket,
  type WireMessage,
  encodeJsonPacket,
  encodeMsgpackFrame,
} from '@kaif/protocol';

export interface TcpClientOptions {
  readonly host: string;
  readonly port: number;
  /** MessagePack (the default) is smaller and faster to parse; JSON is the original design's framing. */
  readonly framing?: Framing;
  /** A request without its reply after this long breaks the connection; default 30 s. */
  readonly requestTimeoutMs?: number;
}

type PacketOf<T extends ServerPacket['packet_type']> = Extract<ServerPacket, { packet_type: T }>;
/** Packets the server sends on its own, between replies. */
export type PushedPacket = PacketOf<'NewMessage' | 'Typing' | 'Status' | 'Error'>;
type Reply = PacketOf<'Ack' | 'Messages' | 'Pong'>;
type PushHandler<T extends PushedPacket['packet_type']> = (packet: PacketOf<T>) => void;

/** The server refused a packet; `code` is an entry of the error registry, `retryAfter` the seconds to wait on FLOOD_WAIT. */
export class WireRefusedError extends Error {
  constructor(
    readonly code: string,
    readonly retryAfter?: number,
  ) {
    super(`the server refused the packet: ${code}`);
    this.name = 'WireRefusedError';
  }
}

export interface SentMessage {
  readonly messageId: MessageId;
  /** Send again with this id after a lost ack: the server returns the first message. */
  readonly clientMsgId: string;
}

interface Pending {
  readonly resolve: (reply: Reply) => void;
  readonly reject: (error: Error) => void;
}

const REPLY_TYPES = new Set<string>(['Ack', 'Messages', 'Pong']);
const MAX_SERVER_PACKET_BYTES = 16 * 1024 * 1024;

/**
 * The SDK's CosmicProto TCP transport for Node. The server answers every
 * packet once, in order, so replies are matched to requests first in, first
 * out; pushed packets go to `on` handlers. A request that times out leaves
 * that order unknown, so the connection is closed and every pending request
 * fails.
 */
export class KaifTcpClient {
  private readonly pending: Pending[] = [];
  private readonly handlers = new Map<string, Set<(packet: PushedPacket) => void>>();
  private readonly reader: PacketReader;
  private readonly encode: (packet: object) => Uint8Array;
  private closedError: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Resolves when the connection has closed, for whatever reason. */
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    framing: Framing,
    private readonly requestTimeoutMs: number,
  ) {
    this.reader = framing === 'json' ? new JsonPacketReader({ maxPacketBytes: MAX_SERVER_PACKET_BYTES }) : new MsgpackFrameReader({ maxPacketBytes: MAX_SERVER_PACKET_BYTES });
    this.encode = framing === 'json' ? encodeJsonPacket : encodeMsgpackFrame;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (error) => this.fail(error));
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.fail(new Error('the connection closed'));
        resolve();
      }),
    );
  }

  static connect(options: TcpClientOptions): Promise<KaifTcpClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: options.host, port: options.port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new KaifTcpClient(socket, options.framing ?? 'msgpack', options.requestTimeoutMs ?? 30_000));
      });
    });
  }

  /** Signs the connection in; throws WireRefusedError (TOKEN_INVALID…) and may be retried with another token. */
  async auth(token: string): Promise<void> {
    expectAck(await this.request({ packet_type: 'Auth', token }));
  }

  /** Resolves once the message is durable. Without `clientMsgId` a fresh one is made, so a retry must reuse the returned id. */
  async sendMessage(input: { readonly chatId: ChatId | string; readonly text: string; readonly clientMsgId?: string }): Promise<SentMessage> {
    const clientMsgId = input.clientMsgId ?? randomUUID();
    const ack = expectAck(
      await this.request({
        packet_type: 'SendMessage',
        message: { chat_id: input.chatId, content: input.text, message_type: 'Text' },
        client_msg_id: clientMsgId,
      }),
    );
    if (ack.message_id === undefined) throw new WireRefusedError('INTERNAL');
    return { messageId: ack.message_id, clientMsgId };
  }

  /** Page `page` (1 = newest) of `perPage` (≤ 100) messages, newest first. */
  async getMessages(chatId: ChatId | string, page: { readonly page?: number; readonly perPage?: number } = {}): Promise<readonly WireMessage[]> {
    const reply = await this.request({ packet_type: 'GetMessages', chat_id: chatId, page: page.page ?? 1, per_page: page.perPage ?? 50 });
    if (reply.packet_type === 'Messages') return reply.messages;
    expectAck(reply);
    throw new WireRefusedError('INTERNAL');
  }

  async ping(): Promise<void> {
    const reply = await this.request({ packet_type: 'Ping' });
    if (reply.packet_type !== 'Pong') expectAck(reply);
  }

  async setStatus(status: PresenceStatus): Promise<void> {
    expectAck(await this.request({ packet_type: 'Status', status_data: status }));
  }

  async typing(chatId: ChatId | string): Promise<void> {
    expectAck(await this.request({ packet_type: 'Typing', chat_id: chatId }));
  }

  /** Calls `handler` for every pushed packet of `type`; returns the way to stop. */
  on<T extends PushedPacket['packet_type']>(type: T, handler: PushHandler<T>): () => void {
    const set = this.handlers.get(type) ?? new Set();
    this.handlers.set(type, set);
    const listener = handler as (packet: PushedPacket) => void;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Sends any client packet and resolves with its reply: the low-level door the methods above use. */
  request(packet: { readonly packet_type: string } & Record<string, unknown>): Promise<Reply> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      if (!this.timer) this.armTimer();
      // Requests made in one tick (a pipelined window) leave in one write.
      if (this.socket.writableCorked === 0) {
        this.socket.cork();
        process.nextTick(() => this.socket.uncork());
      }
      this.socket.write(this.encode(packet));
    });
  }

  async close(): Promise<void> {
    this.socket.end();
    await this.closed;
  }

  private onData(chunk: Uint8Array): void {
    this.reader.push(chunk);
    for (const item of this.reader.drain()) {
      if (item.kind === 'error') {
        this.fail(new Error(`unreadable server packet: ${item.message}`));
        this.socket.destroy();
        return;
      }
      const packet = item.value as ServerPacket;
      if (REPLY_TYPES.has(packet.packet_type)) {
        this.pending.shift()?.resolve(packet as Reply);
        this.armTimer();
      } else {
        for (const handler of this.handlers.get(packet.packet_type) ?? []) handler(packet as PushedPacket);
      }
    }
  }

  /** One timer for the oldest pending request: replies come in order, so only it can be late. */
  private armTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    this.timer = setTimeout(() => {
      this.fail(new Error(`no reply within ${this.requestTimeoutMs} ms`));
      this.socket.destroy();
    }, this.requestTimeoutMs);
  }

  private fail(error: Error): void {
    this.closedError ??= error;
    clearTimeout(this.timer);
    for (const request of this.pending.splice(0)) request.reject(error);
  }
}

function expectAck(reply: Reply): PacketOf<'Ack'> & { readonly success: true } {
  if (reply.packet_type !== 'Ack') throw new WireRefusedError('UNEXPECTED_REPLY');
  if (!reply.success) throw new WireRefusedError(reply.error, reply.retry_after);
  return reply;
}
