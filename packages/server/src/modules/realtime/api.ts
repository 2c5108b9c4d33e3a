import type { ChatId, PresenceStatus, SendSecretMessageInput, SessionId, UserId, WalletBalanceEvent } from '@kaif/protocol';
import type { ChatPresenceUpdate } from '../../platform/bus/live-subjects.js';
import type { Principal } from '../../platform/http/principal.js';
import type { KaifError } from '../../platform/http/kaif-error.js';
import type { ChatEvent, Message, SendInput } from '../messaging/api.js';

/** Whether a user has a live connection on any node (`online` or `offline`), and when they were last seen. */
export interface Presence {
  readonly userId: UserId;
  readonly status: PresenceStatus;
  /** When the user's last connection closed; null while online or if never seen. */
  readonly lastSeen: string | null;
}

/** Which transport a session serves: for logs and metrics only, never for a rule. */
export type SessionTransport = 'ws' | 'socket.io' | 'tcp';

/** Who is at the other end of a connection before it authenticates. */
export interface SessionClient {
  readonly transport: SessionTransport;
  /** The client's address, for the per-IP budget (honours KAIF_TRUST_PROXY where the transport can). */
  readonly address: string;
}

/** Why the server ends a session; the transport tells its client in its own words, then closes. */
export type SessionEnd =
  /** The session was signed out or revoked elsewhere: do not retry with the same token. */
  | 'revoked'
  /** The feed or the chat list could not be read: retry later and sync from the last cursor. */
  | 'unavailable';

/** A typing indicator to show: `userId` is typing in `chatId`. */
export interface TypingNotice {
  readonly chatId: ChatId;
  readonly userId: UserId;
  /** Hide the indicator after this long unless it is renewed. */
  readonly expiresInMs: number;
}

/**
 * What a session tells its transport. Calls come in the order the client
 * must see them; a transport encodes each one as a frame or packet and
 * writes it at once.
 */
export interface SessionSink {
  /** A chat event in feed order; `cursor` is safe to resume from once it is processed. `live` is false during a replay. */
  event(event: ChatEvent, cursor: string, live: boolean): void;
  /** The replay asked for by `sync` is complete; live events follow. */
  synced(cursor: string): void;
  /** `cursor` is the session's current feed position (null before the first sync). */
  typing(notice: TypingNotice, cursor: string | null): void;
  presence(update: ChatPresenceUpdate, cursor: string | null): void;
  /** The cursor given to `sync` is malformed or too old: the session stays open; refetch history, then sync from null. */
  cursorInvalid(error: KaifError): void;
  /** The server ends the session; the transport closes after telling its client. */
  ended(reason: SessionEnd): void;
  /** One of the user's wallet balances moved (live only); transports without such a frame leave it out. */
  walletBalance?(event: WalletBalanceEvent): void;
}

/**
 * One client connection's state, whatever carries it (WebSocket, Socket.IO,
 * TCP): authentication, the flood budget, per-chat subscriptions, presence,
 * the typing throttle and the feed cursor with catch-up. Every rule lives
 * here once; a transport only translates frames or packets into these calls
 * and sink calls into frames or packets. Methods that need a signed-in user
 * throw AUTH_REQUIRED before `authenticate` resolved.
 */
export interface RealtimeSession {
  /** Empty until authenticated. */
  readonly userId: UserId;
  readonly sessionId: SessionId;
  readonly authenticated: boolean;
  /** The position after the last event written to the sink; null before the first sync. */
  readonly position: string | null;
  /**
   * Verifies the token, subscribes to the user's chats (this node's per-chat
   * subscriptions, never a firehose), and marks the user online. Throws the
   * identity error for a token that is no good (TOKEN_INVALID, UNAUTHORIZED,
   * ACCOUNT_DISABLED, TOKEN_REUSED: do not retry with it), and
   * DEPENDENCY_UNAVAILABLE when it could not be checked now (retry later);
   * ALREADY_AUTHENTICATED on a second call. After a failure the session is
   * still anonymous and may try again.
   */
  authenticate(token: string): Promise<Principal>;
  /**
   * Replays every event after `since` (null: from now) to the sink, then
   * `synced`, then live events with no gap and no duplicate at the seam.
   * Resolves once `synced` was written (or the replay failed).
   */
  sync(since: string | null): Promise<void>;
  /**
   * Stores a message: refused at once (DEPENDENCY_UNAVAILABLE) when the
   * server has no room for it, then charged to the user's cluster-wide
   * budget (FLOOD_WAIT with `retryAfter`), then committed. Admission and the
   * charge start synchronously, so sends issued one after another reach the
   * store in that order (TCP pipelining relies on it). `admitted`: the codec
   * already called `admitsSend` for it, to refuse a flood before decoding.
   */
  send(input: SendInput, admitted?: boolean): Promise<Message>;
  /** An MLS message into a secret chat, admitted and charged as `send` is, then the same operation as the HTTP route. */
  sendSecret(chatId: string, input: SendSecretMessageInput, admitted?: boolean): Promise<Message>;
  /**
   * MessagingApi.admitsSend, for a codec that refuses sends before decoding
   * them: true holds a place for one send, which `send(input, true)` uses.
   */
  admitsSend(chatId: ChatId): boolean;
  markRead(chatId: ChatId, seq: number): Promise<void>;
  /** Through the cluster-wide throttle; false when throttled. CHAT_NOT_FOUND unless a member, CHAT_WRITE_FORBIDDEN unless the user may post. */
  typing(chatId: ChatId): Promise<boolean>;
  /**
   * Draws `points` on the shared budget — the address's before
   * authentication, the user's after — for work other than a send. Throws
   * FLOOD_WAIT with `retryAfter`; once refused it refuses locally until the
   * wait is over.
   */
  charge(points?: number): Promise<void>;
  /**
   * The connection's own frame rate (KAIF_CONNECTION_FRAMES_PER_SECOND,
   * burst twice that), checked in memory (one limiter per node, keyed by
   * session) for every frame a message-framed transport receives: resolves 0
   * when the frame may go ahead, else the seconds to wait. Answers settle in
   * the order they were asked.
   */
  admitFrame(): Promise<number>;
  /** Releases everything the session holds; resolves once its presence is cleared. Idempotent. */
  close(): Promise<void>;
}

/**
 * The real-time module's public interface: the session layer every
 * client-facing transport is a codec on, plus presence and typing for
 * connectionless callers (UDP datagrams carry their own token).
 */
export interface RealtimeApi {
  /** A new, anonymous session for one connection; `sink` receives what the client should see. */
  open(sink: SessionSink, client: SessionClient): RealtimeSession;
  presenceOf(userIds: readonly UserId[]): Promise<Presence[]>;
  /**
   * Announces that `userId` is typing in `chatId` to the chat's other members
   * on every node, through the same throttle as sessions (false when
   * throttled). Throws CHAT_NOT_FOUND unless a member, CHAT_WRITE_FORBIDDEN
   * unless the user may post there: a channel's subscribers are never seen typing.
   */
  announceTyping(userId: UserId, chatId: ChatId): Promise<boolean>;
  /**
   * Tells the user's contacts on every transport an explicit status (TCP and
   * UDP `Status`), unless their privacy setting shows their presence to
   * nobody. Live only; best effort: a failure is logged, not returned.
   */
  announceStatus(userId: UserId, status: PresenceStatus): Promise<void>;
  /** Draws `points` on the user's cluster-wide budget, as a session's work does; throws FLOOD_WAIT with `retryAfter`. */
  chargeUser(userId: UserId, points?: number): Promise<void>;
}

declare module '../service-map.js' {
  interface ServiceMap {
    realtime: RealtimeApi;
  }
}
