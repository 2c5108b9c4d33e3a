import {
  CLOSE_CODES,
  type ChatId,
  type ClientFrame,
  type ErrorPayload,
  type ServerFrame,
  type SessionId,
  type UserId,
} from '@kaif/protocol';
import WebSocket from 'ws';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { IdentityApi, SessionsRevokedEvent } from '../identity/api.js';
import { type ChatEvent, type LiveChatEvent, type MessagingApi, AT_CAPACITY } from '../messaging/api.js';
import type { ChatFanout, ChatListener, PresenceUpdate } from './chat-fanout.js';
import { FeedFollower, type FeedSink } from './feed-follower.js';
import type { FrameBudget } from './frame-budget.js';
import { checkClientFrame, decodeClientFrame, parseClientFrame } from './frame-decoder.js';
import type { GatewayOptions } from './gateway-options.js';
import type { PresenceTracker } from './presence-tracker.js';
import type { RealtimeMetrics } from './realtime-metrics.js';
import type { FloodLimits } from '../../platform/flood/flood-limits.js';
import type { TypingAnnouncer } from './typing-announcer.js';
import type { UserChannel, UserListener } from './user-channel.js';

export interface ConnectionDeps {
  readonly identity: IdentityApi;
  readonly messaging: MessagingApi;
  readonly fanout: ChatFanout;
  readonly users: UserChannel;
  readonly presence: PresenceTracker;
  readonly typing: TypingAnnouncer;
  readonly metrics: RealtimeMetrics;
  readonly options: GatewayOptions;
  readonly logger: Logger;
  readonly flood: FloodLimits;
  /** Every connection's frame budget on this node, keyed by connection. */
  readonly frames: FrameBudget;
}

type State = 'awaiting-auth' | 'authenticating' | 'ready' | 'closed';

let connectionsOpened = 0;

/** Where a socket's shared listeners find their connection: no closure per connection. */
const CONNECTION = Symbol('connection');
type OwnedSocket = WebSocket & { [CONNECTION]: Connection };

/**
 * One WebSocket client: authentication, its frames, and its view of the
 * user's feed. A connection's failure (bad frame, slow reads, flooding) is
 * answered on that connection only.
 *
 * Thousands are open at once, so an idle one holds only what it needs (see
 * README, "Memory"): it is its own feed sink (no closures per connection),
 * holds no timer once authenticated (the gateway's heartbeat sweeps every
 * connection), and keeps nothing of the upgrade request.
 */
export class Connection implements ChatListener, UserListener, FeedSink {
  userId = '' as UserId;
  private sessionId = '' as SessionId;
  private state: State = 'awaiting-auth';
  private alive = true;
  private online = false;
  private follower: FeedFollower | undefined;
  private readonly chats = new Set<ChatId>();
  /** Frames that arrived while authenticating; allocated only then. */
  private waiting: string[] | undefined;
  /** This connection's key in the shared frame budget. */
  private readonly id = ++connectionsOpened;
  private authTimer: NodeJS.Timeout | undefined;

  /** `released` is called once everything the connection held is released. */
  constructor(
    private readonly socket: WebSocket,
    private readonly deps: ConnectionDeps,
    private readonly released: (connection: Connection) => void,
  ) {
    this.authTimer = setTimeout(() => this.refuse('timeout', 'authenticate within the time limit'), deps.options.authTimeoutMs);
    (socket as OwnedSocket)[CONNECTION] = this;
    socket.on('message', onMessage);
    socket.on('pong', onPong);
    socket.on('close', onClose);
    socket.on('error', onError);
  }

  // Socket events, from the listeners every connection shares (below the class).

  /** The peer answered a ping. */
  ponged(): void {
    this.alive = true;
  }

  socketFailed(error: Error): void {
    this.deps.logger.debug({ err: error.message, userId: this.userId || undefined }, 'socket error');
  }

  /** This connection's slot in the gateway's heartbeat wheel. */
  slot(slots: number): number {
    return this.id % slots;
  }

  /** Called at each heartbeat of this connection: drops a peer that did not answer the previous ping. */
  heartbeat(): void {
    if (!this.alive) {
      this.socket.terminate();
      return;
    }
    this.alive = false;
    if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
  }

  /** Cuts the connection without a closing handshake. */
  terminate(): void {
    this.socket.terminate();
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.socket.close(code, reason);
  }

  // ChatListener and UserListener: live traffic from the bus.

  chatEvent(event: LiveChatEvent): void {
    this.follower?.offer(event);
  }

  typing(chatId: ChatId, userId: UserId): void {
    if (this.state !== 'ready') return;
    this.send({ type: 'typing', cursor: this.follower?.position ?? null, chatId, userId, expiresInMs: this.deps.options.typingExpiresMs });
  }

  presence(update: PresenceUpdate): void {
    if (this.state !== 'ready') return;
    this.send({ type: 'presence', cursor: this.follower?.position ?? null, ...update });
  }

  sessionsRevoked(event: SessionsRevokedEvent): void {
    if (event.sessionIds === null || event.sessionIds.includes(this.sessionId)) {
      this.deps.metrics.authFailures.inc({ reason: 'revoked' });
      this.close(CLOSE_CODES.UNAUTHORIZED, 'session revoked');
    }
  }

  /** A frame from the socket. */
  receive(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.state === 'closed') return;
    const text = isBinary ? null : data.toString();
    if (this.state === 'awaiting-auth') {
      void this.authenticate(text);
      return;
    }
    if (this.state === 'authenticating') {
      // Replayed after `ready`, these draw on the frame bucket: more than its
      // burst would be refused anyway, so a client that does not wait for
      // `ready` is cut off rather than buffered without bound.
      this.waiting ??= [];
      if (this.waiting.length >= this.deps.options.frameBurst) {
        this.deps.metrics.frameIn('flooded');
        this.close(CLOSE_CODES.POLICY_VIOLATION, 'too many frames before ready');
        return;
      }
      if (text !== null) this.waiting.push(text);
      return;
    }
    // Budget answers keep frame order: each settles in the order it was asked.
    void this.deps.frames.take(this.id).then((wait) => this.admit(text, wait));
  }

  private admit(text: string | null, wait: number): void {
    if (this.state === 'closed') return;
    if (wait > 0) {
      this.deps.metrics.frameIn('flooded');
      this.sendError(frameIdOf(text), { code: 'FLOOD_WAIT', message: 'Too many frames; slow down', retryAfter: Math.ceil(wait) });
      return;
    }
    if (text === null) {
      this.deps.metrics.frameIn('invalid');
      this.sendError(undefined, { code: 'VALIDATION_FAILED', message: 'Frames are JSON text, not binary' });
      return;
    }
    this.handle(text);
  }

  private handle(text: string): void {
    const parsed = parseClientFrame(text);
    // An overloaded server refuses a send before validating it: under a
    // flood the refusals must cost next to nothing.
    if (parsed.ok && parsed.value.type === 'message.send' && !this.deps.messaging.admitsSend(parsed.value.chatId as ChatId)) {
      this.deps.metrics.frameIn('message.send');
      this.sendRaw(atCapacityFrame(parsed.id), 'error');
      return;
    }
    const decoded = parsed.ok ? checkClientFrame(parsed) : parsed;
    if (!decoded.ok) {
      this.deps.metrics.frameIn('invalid');
      this.sendError(decoded.id, { code: 'VALIDATION_FAILED', message: decoded.message, ...(decoded.field ? { field: decoded.field } : {}) });
      return;
    }
    this.deps.metrics.frameIn(decoded.frame.type);
    this.dispatch(decoded.frame);
  }

  private dispatch(frame: ClientFrame): void {
    switch (frame.type) {
      case 'auth':
        this.sendError(undefined, { code: 'VALIDATION_FAILED', message: 'Already authenticated', field: 'type' });
        return;
      case 'sync':
        void this.follower!.sync(frame.since);
        return;
      case 'message.send':
        // Admitted by `handle`. Sends draw on the user's cluster-wide budget, shared with the API.
        void this.deps.flood
          .consumeUser(this.userId)
          .then(() =>
            this.deps.messaging.sendMessage(this.userId, {
              chatId: frame.chatId,
              clientMsgId: frame.clientMsgId,
              text: frame.text,
              replyToId: frame.replyToId ?? null,
            }),
          )
          .then(
            ({ message }) => this.send({ type: 'ack', id: frame.id, message: { ...message } }),
            (error: unknown) => this.sendError(frame.id, this.toPayload(error, 'message.send')),
          );
        return;
      case 'read':
        void this.deps.messaging
          .markRead(this.userId, frame.chatId, frame.seq)
          .catch((error: unknown) => this.sendError(undefined, this.toPayload(error, 'read')));
        return;
      case 'typing':
        if (!this.chats.has(frame.chatId)) {
          this.sendError(undefined, new KaifError('CHAT_NOT_FOUND').toPayload());
          return;
        }
        void this.deps.typing
          .announce(this.userId, frame.chatId)
          .catch((error: unknown) => {
            // Refusals (a channel subscriber may not be seen typing) go to the client; a store hiccup only to the log.
            if (error instanceof KaifError) this.sendError(undefined, error.toPayload());
            else this.deps.logger.warn({ err: (error as Error).message, userId: this.userId }, 'typing not announced');
          });
        return;
      case 'ping':
        this.send({ type: 'pong' });
        return;
    }
  }

  private async authenticate(text: string | null): Promise<void> {
    const decoded = text === null ? undefined : decodeClientFrame(text);
    if (!decoded?.ok || decoded.frame.type !== 'auth') {
      this.refuse('not-auth', 'the first frame must be auth');
      return;
    }
    this.state = 'authenticating';
    this.deps.metrics.frameIn('auth');
    try {
      const principal = await this.deps.identity.authenticate(decoded.frame.token);
      this.userId = principal.userId;
      this.sessionId = principal.sessionId;
    } catch (error) {
      if (error instanceof KaifError && REFUSED_TOKEN.has(error.code)) {
        this.refuse('token', 'token invalid');
        return;
      }
      // The token may be fine: identity could not be asked (database down,
      // breaker open). 4401 would sign the user out; 1013 makes them retry.
      this.deps.logger.warn({ err: (error as Error).message }, 'authentication could not be checked');
      this.deps.metrics.authFailures.inc({ reason: 'unavailable' });
      this.close(CLOSE_CODES.TRY_AGAIN_LATER, 'try again later');
      return;
    }
    if (this.isClosed()) return;
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
    // Subscribe before any feed read, so nothing committed after the read is missed.
    this.deps.users.join(this);
    try {
      const chatIds = await this.deps.messaging.chatIdsOf(this.userId);
      if (this.isClosed()) return;
      for (const chatId of chatIds) this.joinChat(chatId);
      await this.deps.fanout.settle();
    } catch (error) {
      this.deps.logger.error({ err: (error as Error).message, userId: this.userId }, 'could not load the user’s chats');
      this.close(1011, 'try again later');
      return;
    }
    if (this.isClosed()) return;
    this.follower = new FeedFollower(this.deps.messaging, this.userId, this, this.deps.options.replayPageSize);
    this.state = 'ready';
    this.online = true;
    this.send({ type: 'ready', userId: this.userId });
    void this.deps.presence
      .connected(this.userId)
      .catch((error: unknown) => this.deps.logger.warn({ err: (error as Error).message, userId: this.userId }, 'presence not recorded'));
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    for (const text of waiting) this.receive(Buffer.from(text), false);
  }

  private isClosed(): boolean {
    return this.state === 'closed' || this.socket.readyState !== WebSocket.OPEN;
  }

  // FeedSink: what the follower reads from the feed.

  event(event: ChatEvent, cursor: string, live: boolean): void {
    this.send({ type: event.type, cursor, chatId: event.chatId, seq: event.seq, at: event.at, data: event.data } as ServerFrame);
    this.deps.metrics.deliveries.inc();
    if (live) this.deps.metrics.deliveryLatency.observe(Math.max(0, Date.now() - Date.parse(event.at)) / 1000);
    if (event.type === 'chat.member' && event.data.userId === this.userId) {
      if (event.data.change === 'joined') this.joinChat(event.chatId);
      else if (event.data.change === 'left' || event.data.change === 'removed') this.leaveChat(event.chatId);
    }
  }

  synced(cursor: string): void {
    this.send({ type: 'synced', cursor });
  }

  failed(error: unknown): void {
    if (error instanceof KaifError && error.code === 'CURSOR_INVALID') {
      this.sendError(undefined, error.toPayload());
      return;
    }
    this.deps.logger.error({ err: (error as Error).message, userId: this.userId }, 'could not read the feed');
    this.close(1011, 'try again later');
  }

  private joinChat(chatId: ChatId): void {
    if (this.chats.has(chatId)) return;
    this.chats.add(chatId);
    this.deps.fanout.join(chatId, this);
  }

  private leaveChat(chatId: ChatId): void {
    if (!this.chats.delete(chatId)) return;
    this.deps.fanout.leave(chatId, this);
  }

  private send(frame: ServerFrame): void {
    this.sendRaw(JSON.stringify(frame), frame.type);
  }

  private sendRaw(json: string, type: ServerFrame['type']): void {
    if (this.state === 'closed' || this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(json);
    this.deps.metrics.frameOut(type);
    if (this.socket.bufferedAmount > this.deps.options.maxBufferedBytes) this.dropSlowConsumer();
  }

  private sendError(id: string | undefined, error: ErrorPayload): void {
    this.send({ type: 'error', ...(id === undefined ? {} : { id }), error });
  }

  private toPayload(error: unknown, action: string): ErrorPayload {
    if (error instanceof KaifError) return error.toPayload();
    this.deps.logger.error({ err: (error as Error).message, userId: this.userId, action }, 'frame failed');
    return new KaifError('INTERNAL').toPayload();
  }

  /** The client reads slower than we write: disconnect rather than buffer without bound. It resyncs on reconnect. */
  private dropSlowConsumer(): void {
    this.deps.metrics.slowConsumersDropped.inc();
    this.deps.logger.info({ userId: this.userId, buffered: this.socket.bufferedAmount }, 'slow consumer disconnected');
    this.close(CLOSE_CODES.TRY_AGAIN_LATER, 'slow consumer');
    // The close frame waits behind the unread data; do not wait for it long.
    setTimeout(() => this.socket.terminate(), 1000).unref();
  }

  private refuse(reason: string, message: string): void {
    this.deps.metrics.authFailures.inc({ reason });
    this.close(CLOSE_CODES.UNAUTHORIZED, message);
  }

  /** The socket closed: lets go of everything the connection held. */
  async closed(): Promise<void> {
    this.state = 'closed';
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
    this.follower?.stop();
    if (this.userId) this.deps.users.leave(this);
    for (const chatId of [...this.chats]) this.leaveChat(chatId);
    if (this.online) {
      this.online = false;
      await this.deps.presence
        .disconnected(this.userId)
        .catch((error: unknown) => this.deps.logger.warn({ err: (error as Error).message, userId: this.userId }, 'presence not cleared'));
    }
    this.released(this);
  }
}

function onMessage(this: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
  (this as OwnedSocket)[CONNECTION].receive(data, isBinary);
}

function onPong(this: WebSocket): void {
  (this as OwnedSocket)[CONNECTION].ponged();
}

function onClose(this: WebSocket): void {
  void (this as OwnedSocket)[CONNECTION].closed();
}

function onError(this: WebSocket, error: Error): void {
  (this as OwnedSocket)[CONNECTION].socketFailed(error);
}

/** Errors that mean the token itself is no good, as opposed to not checkable now. */
const REFUSED_TOKEN = new Set<string>(['TOKEN_INVALID', 'UNAUTHORIZED', 'ACCOUNT_DISABLED', 'TOKEN_REUSED']);

/** The `id` of a frame refused before decoding, so its sender can match the error to it. */
function frameIdOf(text: string | null): string | undefined {
  if (text === null) return undefined;
  try {
    const id = (JSON.parse(text) as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

const AT_CAPACITY_JSON = JSON.stringify(AT_CAPACITY);

/** The refusal of a send at capacity, serialized without building an object per frame. */
function atCapacityFrame(id: string | undefined): string {
  return id === undefined ? `{"type":"error","error":${AT_CAPACITY_JSON}}` : `{"type":"error","id":${JSON.stringify(id)},"error":${AT_CAPACITY_JSON}}`;
}
