import {
  type ChatEventFrame,
  ERRORS,
  type ErrorFrame,
  type PresenceEvent,
  MAX_CLIENT_FRAME_BYTES,
  type MessageView,
  type SendSecretMessageInput,
  type ServerFrame,
  type TypingEvent,
  type WalletBalanceFrame,
} from '@kaif/protocol';
import { KaifApiError } from '../kaif-api-error.js';
import { backoffDelay } from './backoff.js';
import type { CursorStore } from './cursor-store.js';
import { DedupeWindow } from './dedupe-window.js';
import { type OutgoingMessage, SendQueue, secretFrame } from './send-queue.js';
import { TypedEmitter } from './typed-emitter.js';
import { OPEN, type WebSocketFactory, type WebSocketLike } from './web-socket.js';

export type ConnectionState = 'connecting' | 'online' | 'offline';

export type ChatEventOf<T extends ChatEventFrame['type']> = Extract<ChatEventFrame, { type: T }>;

export interface RealtimeEvents {
  'message.new': (event: ChatEventOf<'message.new'>) => void;
  'message.edited': (event: ChatEventOf<'message.edited'>) => void;
  'message.deleted': (event: ChatEventOf<'message.deleted'>) => void;
  'chat.read': (event: ChatEventOf<'chat.read'>) => void;
  'chat.member': (event: ChatEventOf<'chat.member'>) => void;
  'chat.updated': (event: ChatEventOf<'chat.updated'>) => void;
  typing: (event: TypingEvent) => void;
  presence: (event: PresenceEvent) => void;
  /** One of the user's wallet balances moved; `amount` is the new balance (live only: reread the wallet after a reconnect). */
  'wallet.balance': (event: WalletBalanceFrame) => void;
  /** Every state change; also emitted as its own event name. */
  state: (state: ConnectionState) => void;
  connecting: () => void;
  online: () => void;
  offline: () => void;
  /** The saved cursor was too old: local history may have holes; refetch it. Live events continue. */
  reset: () => void;
  /** The server refused the session (4401 after a refresh): sign in again. */
  unauthorized: () => void;
  /** An error frame not tied to a request (e.g. FLOOD_WAIT, a bad read). */
  error: (error: KaifApiError) => void;
}

export interface RealtimeOptions {
  /** ws:// or wss:// URL of the gateway, e.g. ws://localhost:3000/ws */
  readonly url: string;
  readonly webSocket: WebSocketFactory;
  readonly accessToken: () => Promise<string | null>;
  /** Called after the server closed with 4401; resolves when new tokens are stored. */
  readonly refreshTokens: () => Promise<unknown>;
  readonly cursorStore: CursorStore;
  readonly reconnectBaseMs?: number;
  readonly reconnectMaxMs?: number;
  /** Client-side liveness: a ping after this much silence, a reconnect after twice as much. */
  readonly pingIntervalMs?: number;
}

const RETRYABLE = new Set(['FLOOD_WAIT', 'INTERNAL', 'DEPENDENCY_UNAVAILABLE', 'NOT_READY']);

/**
 * The live connection: authenticates, syncs from the last cursor, delivers
 * typed events once each (deduplicated by chat and seq), and reconnects with
 * capped exponential backoff and full jitter. Messages sent while offline are
 * queued and sent on reconnect; each promise resolves when the server
 * acknowledged the message as durable.
 */
export class RealtimeClient extends TypedEmitter<RealtimeEvents> {
  private current: ConnectionState = 'offline';
  private socket: WebSocketLike | undefined;
  private wanted = false;
  private attempt = 0;
  private refusals = 0;
  private synced = false;
  private lastFrameAt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private saving: Promise<void> = Promise.resolve();
  private readonly seen = new DedupeWindow();
  private readonly queue = new SendQueue();
  private readonly reads = new Map<string, number>();

  constructor(private readonly options: RealtimeOptions) {
    super();
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** Messages waiting for an ack. */
  get pendingSends(): number {
    return this.queue.size;
  }

  connect(): void {
    if (this.wanted) return;
    this.wanted = true;
    void this.open();
  }

  disconnect(): void {
    this.wanted = false;
    clearTimeout(this.reconnectTimer);
    this.drop(1000, 'client disconnect');
    this.setState('offline');
  }

  /** Resolves with the stored message once the server acked it; queued while offline. */
  sendMessage(message: OutgoingMessage): Promise<MessageView> {
    const clientMsgId = message.clientMsgId ?? randomId();
    const { isNew, done } = this.queue.add(message, clientMsgId);
    if (isNew && this.synced) this.transmit(clientMsgId);
    return done;
  }

  /**
   * Sends an MLS message into a secret chat over this connection (the same
   * operation as `client.secret.send` over HTTP): resolves with the stored
   * message once acked, queued while offline and sent again with the same
   * clientMsgId after a reconnect. Rejects with the server's error, e.g.
   * EPOCH_CONFLICT; a frame over the gateway's limit is refused here (send
   * such a commit over HTTP instead).
   */
  sendSecret(chatId: string, secret: SendSecretMessageInput): Promise<MessageView> {
    if (!fitsFrame(chatId, secret)) {
      return Promise.reject(new KaifApiError('VALIDATION_FAILED', 'The message is too large for a frame; send it over HTTP', 400, { field: 'ciphertext' }));
    }
    const { isNew, done } = this.queue.add({ chatId, secret }, secret.clientMsgId);
    if (isNew && this.synced) this.transmit(secret.clientMsgId);
    return done;
  }

  /** Whether `sendSecret` would go out now: the connection is up and the frame within the gateway's limit. */
  canSendSecret(chatId: string, secret: SendSecretMessageInput): boolean {
    return this.synced && fitsFrame(chatId, secret);
  }

  /** Marks a chat read up to `seq`; while offline, the highest seq per chat is sent on reconnect. */
  markRead(chatId: string, seq: number): void {
    this.reads.set(chatId, Math.max(seq, this.reads.get(chatId) ?? 0));
    if (this.synced) this.flushReads();
  }

  /** Tells the chat you are typing; live only, dropped while offline. */
  typing(chatId: string): void {
    if (this.synced) this.socket?.send(JSON.stringify({ type: 'typing', chatId }));
  }

  private async open(): Promise<void> {
    this.setState('connecting');
    let token: string | null;
    try {
      token = await this.options.accessToken();
    } catch (error) {
      if (!this.wanted) return;
      if (isRefusal(error)) this.unauthorized();
      else this.retryLater();
      return;
    }
    if (!this.wanted) return;
    if (!token) {
      this.unauthorized();
      return;
    }
    const socket = this.options.webSocket(this.options.url);
    this.socket = socket;
    this.synced = false;
    this.lastFrameAt = Date.now();
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token }));
    socket.onmessage = (event) => {
      if (socket === this.socket) void this.receive(String(event.data));
    };
    socket.onclose = (event) => this.closed(socket, event.code);
    socket.onerror = () => {
      // A close event always follows; reconnecting is handled there.
    };
    this.startPinging(socket);
  }

  private async receive(text: string): Promise<void> {
    this.lastFrameAt = Date.now();
    const frame = JSON.parse(text) as ServerFrame;
    switch (frame.type) {
      case 'ready': {
        this.refusals = 0;
        await this.saving;
        const since = await this.options.cursorStore.load();
        this.socket?.send(JSON.stringify({ type: 'sync', since }));
        return;
      }
      case 'synced':
        this.saveCursor(frame.cursor);
        this.attempt = 0;
        this.synced = true;
        this.setState('online');
        for (const clientMsgId of this.queue.clientMsgIds()) this.transmit(clientMsgId);
        this.flushReads();
        return;
      case 'ack': {
        const clientMsgId = this.queue.entryOf(frame.id);
        if (clientMsgId !== undefined) this.queue.settle(clientMsgId, { message: frame.message });
        return;
      }
      case 'error':
        this.failed(frame);
        return;
      case 'pong':
        return;
      case 'typing':
        this.emit('typing', frame);
        return;
      case 'presence':
        this.emit('presence', frame);
        return;
      case 'wallet.balance':
        this.emit('wallet.balance', frame);
        return;
      default:
        this.chatEvent(frame);
    }
  }

  private chatEvent(frame: ChatEventFrame): void {
    if (this.seen.add(`${frame.chatId}:${frame.seq}`)) {
      (this.emit as (type: string, event: ChatEventFrame) => void)(frame.type, frame);
    }
    this.saveCursor(frame.cursor);
  }

  private failed(frame: ErrorFrame): void {
    const { code, message, retryAfter, field } = frame.error;
    const error = new KaifApiError(code, message, ERRORS[code]?.status ?? 0, {
      ...(retryAfter === undefined ? {} : { retryAfter }),
      ...(field === undefined ? {} : { field }),
    });
    if (frame.id !== undefined) {
      const clientMsgId = this.queue.entryOf(frame.id);
      if (clientMsgId === undefined) return;
      if (RETRYABLE.has(code)) {
        const delayMs = (retryAfter ?? 1) * 1000 * (1 + Math.random());
        setTimeout(() => this.synced && this.transmit(clientMsgId), delayMs);
      } else {
        this.queue.settle(clientMsgId, { error });
      }
      return;
    }
    if (code === 'CURSOR_INVALID') {
      this.saveCursor(null);
      this.emit('reset');
      this.socket?.send(JSON.stringify({ type: 'sync', since: null }));
      return;
    }
    this.emit('error', error);
  }

  private transmit(clientMsgId: string): void {
    const frame = this.queue.frameFor(clientMsgId);
    if (frame && this.socket?.readyState === OPEN) this.socket.send(frame);
  }

  private flushReads(): void {
    for (const [chatId, seq] of this.reads) this.socket?.send(JSON.stringify({ type: 'read', chatId, seq }));
    this.reads.clear();
  }

  /** Cursors are saved in the order events were processed, even with an async store. */
  private saveCursor(cursor: string | null): void {
    this.saving = this.saving.then(() => this.options.cursorStore.save(cursor)).catch(() => undefined);
  }

  private closed(socket: WebSocketLike, code: number): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.synced = false;
    clearInterval(this.pingTimer);
    this.queue.forgetFrames();
    if (!this.wanted) return;
    this.setState('offline');
    if (code === 4401) {
      // Possibly an expired access token: refresh once; a second refusal is final.
      if (++this.refusals > 1) {
        this.unauthorized();
        return;
      }
      void this.options.refreshTokens().then(
        () => this.scheduleReconnect(0),
        (error: unknown) => {
          // Only the server saying no ends the session; a refresh that could
          // not reach it (network, 503) is tried again later.
          if (isRefusal(error)) this.unauthorized();
          else {
            this.refusals = 0;
            this.retryLater();
          }
        },
      );
      return;
    }
    this.retryLater();
  }

  private retryLater(): void {
    this.setState('offline');
    this.scheduleReconnect(backoffDelay(this.attempt++, this.options.reconnectBaseMs ?? 500, this.options.reconnectMaxMs ?? 30_000));
  }

  private scheduleReconnect(delayMs: number): void {
    if (!this.wanted) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.open(), delayMs);
  }

  private startPinging(socket: WebSocketLike): void {
    const interval = this.options.pingIntervalMs ?? 25_000;
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => {
      if (socket !== this.socket || socket.readyState !== OPEN) return;
      const silent = Date.now() - this.lastFrameAt;
      if (silent > 2 * interval) {
        // A half-open TCP connection never delivers a close event; give up on it.
        this.drop(4000, 'no answer to ping');
        this.closed(socket, 1006);
      } else if (silent >= interval) {
        socket.send('{"type":"ping"}');
      }
    }, interval / 2);
  }

  private drop(code: number, reason: string): void {
    const socket = this.socket;
    if (!socket) return;
    try {
      socket.close(code, reason);
    } catch {
      // Already closing.
    }
  }

  private unauthorized(): void {
    this.wanted = false;
    this.drop(1000, 'signed out');
    this.setState('offline');
    this.emit('unauthorized');
  }

  private setState(state: ConnectionState): void {
    if (state === this.current) return;
    this.current = state;
    this.emit('state', state);
    this.emit(state);
  }
}

function randomId(): string {
  return globalThis.crypto.randomUUID();
}

/** The server refused the credentials (401), as opposed to being unreachable. */
function isRefusal(error: unknown): boolean {
  return error instanceof KaifApiError && error.status === 401;
}

/** Measured with the longest frame id this connection will use in practice. */
function fitsFrame(chatId: string, secret: SendSecretMessageInput): boolean {
  return new TextEncoder().encode(secretFrame('m0000000000', { chatId, secret })).length <= MAX_CLIENT_FRAME_BYTES;
}
