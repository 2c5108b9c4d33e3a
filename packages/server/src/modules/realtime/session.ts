import type { ChatId, SendSecretMessageInput, SessionId, UserId, WalletBalanceEvent } from '@kaif/protocol';
import type { ChatPresenceUpdate } from '../../platform/bus/live-subjects.js';
import type { FloodLimits } from '../../platform/flood/flood-limits.js';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Principal } from '../../platform/http/principal.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { IdentityApi, SessionsRevokedEvent } from '../identity/api.js';
import { type ChatEvent, type LiveChatEvent, type Message, type MessagingApi, type SendInput, atCapacity } from '../messaging/api.js';
import type { RealtimeSession, SessionClient, SessionSink } from './api.js';
import type { ChatFanout, ChatListener } from './chat-fanout.js';
import { FeedFollower, type FeedSink } from './feed-follower.js';
import type { GatewayOptions } from './gateway-options.js';
import type { PresenceTracker } from './presence-tracker.js';
import type { RealtimeMetrics } from './realtime-metrics.js';
import type { FrameBudget } from './frame-budget.js';
import { SessionBudget } from './session-budget.js';
import type { TypingAnnouncer } from './typing-announcer.js';
import type { UserChannel, UserListener } from './user-channel.js';

/** What every session of this node shares. */
export interface SessionDeps {
  readonly identity: IdentityApi;
  readonly messaging: MessagingApi;
  readonly fanout: ChatFanout;
  readonly users: UserChannel;
  readonly presence: PresenceTracker;
  readonly typing: TypingAnnouncer;
  readonly flood: FloodLimits;
  readonly metrics: RealtimeMetrics;
  readonly options: GatewayOptions;
  readonly logger: Logger;
  /** Every session's frame budget on this node, keyed by session. */
  readonly frames: FrameBudget;
}

let sessionsOpened = 0;

type State = 'anonymous' | 'authenticating' | 'open' | 'closed';

/** Errors that mean the token itself is no good, as opposed to not checkable now. */
const REFUSED_TOKEN = new Set<string>(['TOKEN_INVALID', 'UNAUTHORIZED', 'ACCOUNT_DISABLED', 'TOKEN_REUSED']);

/**
 * The transport-neutral session (see RealtimeSession). It is the listener the
 * node's per-user channel and per-chat fan-out deliver to, and the sink of
 * its own feed follower: bus traffic and feed reads meet here, so every
 * transport gets the same order, cursor, filtering and membership tracking.
 */
export class Session implements RealtimeSession, ChatListener, UserListener, FeedSink {
  userId = '' as UserId;
  sessionId = '' as SessionId;
  private state: State = 'anonymous';
  private online = false;
  private follower: FeedFollower | undefined;
  private readonly chats = new Set<ChatId>();
  private readonly budget: SessionBudget;
  /** This session's key in the shared frame budget. */
  private readonly frameKey = ++sessionsOpened;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly deps: SessionDeps,
    private readonly sink: SessionSink,
    private readonly client: SessionClient,
  ) {
    this.budget = new SessionBudget(deps.flood, client.address);
  }

  get authenticated(): boolean {
    return this.state === 'open';
  }

  get position(): string | null {
    return this.follower?.position ?? null;
  }

  async authenticate(token: string): Promise<Principal> {
    if (this.state === 'open' || this.state === 'authenticating') throw new KaifError('ALREADY_AUTHENTICATED');
    if (this.state === 'closed') throw new KaifError('NOT_READY');
    this.state = 'authenticating';
    let principal: Principal;
    try {
      principal = await this.deps.identity.authenticate(token);
    } catch (error) {
      if (this.state === 'authenticating') this.state = 'anonymous';
      if (error instanceof KaifError && REFUSED_TOKEN.has(error.code)) throw error;
      // The token may be fine: identity could not be asked (database down,
      // breaker open). A refusal would sign the user out; this makes them retry.
      this.deps.logger.warn({ err: (error as Error).message, transport: this.client.transport }, 'authentication could not be checked');
      throw unavailable('Authentication could not be checked; retry');
    }
    if (this.isClosed()) return principal;
    this.userId = principal.userId;
    this.sessionId = principal.sessionId;
    // Subscribe before any feed read, so nothing committed after the read is missed.
    this.deps.users.join(this);
    try {
      const chatIds = await this.deps.messaging.chatIdsOf(this.userId);
      if (this.isClosed()) return principal;
      for (const chatId of chatIds) this.joinChat(chatId);
      await this.deps.fanout.settle();
    } catch (error) {
      this.deps.logger.error({ err: (error as Error).message, userId: this.userId }, 'could not load the user’s chats');
      this.unsubscribe();
      this.userId = '' as UserId;
      this.sessionId = '' as SessionId;
      if (this.state === 'authenticating') this.state = 'anonymous';
      throw unavailable('The user’s chats could not be loaded; retry');
    }
    if (this.isClosed()) return principal;
    this.follower = new FeedFollower(this.deps.messaging, this.userId, this, this.deps.options.replayPageSize);
    this.state = 'open';
    this.online = true;
    void this.deps.presence
      .connected(this.userId)
      .catch((error: unknown) => this.deps.logger.warn({ err: (error as Error).message, userId: this.userId }, 'presence not recorded'));
    return principal;
  }

  sync(since: string | null): Promise<void> {
    // A session closed under its caller (the client went away during the auth) has nothing left to sync.
    if (this.isClosed()) return Promise.resolve();
    return this.follower ? this.follower.sync(since) : Promise.reject(new KaifError('AUTH_REQUIRED'));
  }

  admitsSend(chatId: ChatId): boolean {
    return this.deps.messaging.admitsSend(chatId);
  }

  send(input: SendInput, admitted = false): Promise<Message> {
    if (this.state !== 'open') return Promise.reject(new KaifError('AUTH_REQUIRED'));
    // An overloaded server refuses at once, before spending a flood-budget round trip.
    if (!admitted && !this.deps.messaging.admitsSend(input.chatId)) return Promise.reject(atCapacity());
    const userId = this.userId;
    return this.budget
      .charge(userId, 1)
      .then(() => this.deps.messaging.sendMessage(userId, input))
      .then(({ message }) => message);
  }

  sendSecret(chatId: string, input: SendSecretMessageInput, admitted = false): Promise<Message> {
    if (this.state !== 'open') return Promise.reject(new KaifError('AUTH_REQUIRED'));
    if (!admitted && !this.deps.messaging.admitsSend(chatId as ChatId)) return Promise.reject(atCapacity());
    const userId = this.userId;
    return this.budget
      .charge(userId, 1)
      .then(() => this.deps.messaging.sendSecret(userId, chatId, input))
      .then(({ message }) => message);
  }

  async markRead(chatId: ChatId, seq: number): Promise<void> {
    this.assertOpen();
    await this.deps.messaging.markRead(this.userId, chatId, seq);
  }

  async typing(chatId: ChatId): Promise<boolean> {
    this.assertOpen();
    // The session knows its chats: a stranger's chat costs no store round trip.
    if (!this.chats.has(chatId)) throw new KaifError('CHAT_NOT_FOUND');
    return this.deps.typing.announce(this.userId, chatId);
  }

  charge(points = 1): Promise<void> {
    return this.budget.charge(this.state === 'open' ? this.userId : undefined, points);
  }

  admitFrame(): Promise<number> {
    return this.deps.frames.take(this.frameKey);
  }

  close(): Promise<void> {
    this.closing ??= this.release();
    return this.closing;
  }

  // ChatListener and UserListener: live traffic from the bus.

  chatEvent(event: LiveChatEvent): void {
    this.follower?.offer(event);
  }

  typingIn(chatId: ChatId, userId: UserId): void {
    if (this.state !== 'open') return;
    this.sink.typing({ chatId, userId, expiresInMs: this.deps.options.typingExpiresMs }, this.position);
  }

  presence(update: ChatPresenceUpdate): void {
    if (this.state !== 'open') return;
    this.sink.presence(update, this.position);
  }

  walletBalance(event: WalletBalanceEvent): void {
    if (this.state === 'open') this.sink.walletBalance?.(event);
  }

  sessionsRevoked(event: SessionsRevokedEvent): void {
    if (this.state === 'closed') return;
    if (event.sessionIds === null || event.sessionIds.includes(this.sessionId)) this.sink.ended('revoked');
  }

  // FeedSink: what the follower read or accepted, in feed order.

  event(event: ChatEvent, cursor: string, live: boolean): void {
    if (this.state !== 'open') return;
    this.sink.event(event, cursor, live);
    this.deps.metrics.deliveries.inc();
    if (live) this.deps.metrics.deliveryLatency.observe(Math.max(0, Date.now() - Date.parse(event.at)) / 1000);
    if (event.type === 'chat.member' && event.data.userId === this.userId) {
      if (event.data.change === 'joined') this.joinChat(event.chatId);
      else if (event.data.change === 'left' || event.data.change === 'removed') this.leaveChat(event.chatId);
    }
  }

  synced(cursor: string): void {
    if (this.state === 'open') this.sink.synced(cursor);
  }

  failed(error: unknown): void {
    if (this.state !== 'open') return;
    if (error instanceof KaifError && error.code === 'CURSOR_INVALID') {
      this.sink.cursorInvalid(error);
      return;
    }
    this.deps.logger.error({ err: (error as Error).message, userId: this.userId }, 'could not read the feed');
    this.sink.ended('unavailable');
  }

  /** A method, not a comparison: `state` changes across awaits, which narrowing does not see. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new KaifError('AUTH_REQUIRED');
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

  private unsubscribe(): void {
    if (this.userId) this.deps.users.leave(this);
    for (const chatId of [...this.chats]) this.leaveChat(chatId);
  }

  private async release(): Promise<void> {
    this.state = 'closed';
    this.follower?.stop();
    this.unsubscribe();
    if (!this.online) return;
    this.online = false;
    await this.deps.presence
      .disconnected(this.userId)
      .catch((error: unknown) => this.deps.logger.warn({ err: (error as Error).message, userId: this.userId }, 'presence not cleared'));
  }
}

function unavailable(message: string): KaifError {
  return new KaifError('DEPENDENCY_UNAVAILABLE', message, { retryAfter: 1 });
}
