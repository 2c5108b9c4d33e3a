import type { ChatEvent, ChatId, ChatType, ErrorPayload, MediaId, MediaView, MessageId, MessageTransfer, MessageView, SendSecretMessageInput, UserId } from '@kaif/protocol';
import { KaifError } from '../../platform/http/kaif-error.js';

export type { ChatEvent, ChatEventType, ChatRole, ChatType } from '@kaif/protocol';

/** API.md `message`, plus `forwardedFrom` for forwarded copies (see @kaif/protocol's message.ts). */
export type Message = MessageView;

/**
 * A chat event as the outbox relays it on `chatEventSubject(chatId)`.
 * `audience` says who may see it; the feed positions let a gateway
 * advance a cursor without a database read (see MessagingApi.followEvent).
 */
export interface LiveChatEvent extends ChatEvent {
  readonly chatType: ChatType;
  /** Only these users see it (e.g. chat.read in a channel); absent = every member. */
  readonly onlyFor?: readonly UserId[];
  /** Per-user feed positions for direct and group chats (fan-out on write). */
  readonly positions?: Readonly<Record<string, number>>;
  /**
   * Channels only: the seq of the channel's previous event seen by every
   * subscriber (0 if none), so a follower can tell that the seqs skipped
   * in between were events for other users, not a gap.
   */
  readonly previousSeq?: number;
}

export const chatEventSubject = (chatId: ChatId) => `kaif.ev.chat.${chatId}`;

/** The answer to a send the server has no room for: refused at once, with a retry hint. */
export const atCapacity = () => new KaifError('DEPENDENCY_UNAVAILABLE', AT_CAPACITY.message, { retryAfter: AT_CAPACITY.retryAfter });

/**
 * The refusal of a send the server has no room for, as a ready payload: a
 * flood is refused frame by frame, and building an Error (with its stack
 * trace) for each took a fifth of the gateway's time at ten times its
 * sustainable rate.
 */
export const AT_CAPACITY: ErrorPayload = Object.freeze({ code: 'DEPENDENCY_UNAVAILABLE', message: 'The server is at capacity; retry', retryAfter: 1 });

/** A page of the per-user change feed. */
export interface FeedPage {
  readonly events: readonly ChatEvent[];
  /** Resume from here; opaque to clients. */
  readonly cursor: string;
  /** More events are waiting after `cursor`. */
  readonly hasMore: boolean;
}

/**
 * Where a live event stands relative to a position: the next one for the
 * user (the position moved past it), already covered by it, after a gap
 * (call changesSince), or not for this user.
 */
export type FollowKind = 'next' | 'seen' | 'gap' | 'not-visible';

/**
 * A live follower's position in the user's feed, kept decoded between
 * events (MessagingApi.feedPosition). Following an event does no I/O and
 * costs the same whatever the user's number of chats; so does `cursor`.
 */
export interface FeedPosition {
  /** The cursor to send with the last event followed; opaque to clients. */
  readonly cursor: string;
  /** Moves past `event` when it is the next one for the user. */
  follow(userId: UserId, event: LiveChatEvent): FollowKind;
  /** Storing a base (MessagingApi.rebaseFeedPosition) would make `cursor` smaller. */
  readonly wantsBase: boolean;
}

/** A chat a user is in: its type, and in a direct chat the other member. */
export interface ChatMembership {
  readonly chatId: ChatId;
  readonly type: ChatType;
  /** The other member of a direct chat; null in groups and channels. */
  readonly peerId: UserId | null;
}

/** What a notification names about a chat. */
export interface ChatSummary {
  readonly chatId: ChatId;
  readonly type: ChatType;
  /** Null in direct chats. */
  readonly title: string | null;
}

export interface SendInput {
  readonly chatId: ChatId;
  readonly clientMsgId: string;
  /** The text, or with mediaIds the caption ('' for none). */
  readonly text: string;
  readonly replyToId?: MessageId | null;
  /** Media to attach, uploaded before (POST /api/v1/media); see MediaResolver. */
  readonly mediaIds?: readonly MediaId[];
}

/**
 * Turns the ids a sender attaches into the media a message carries, in
 * order. Throws MEDIA_NOT_FOUND for an id the sender may not attach (not
 * theirs and not in a chat they are in, or not ready). The media module
 * provides it (MessagingApi.useMediaResolver), so messaging never reads its
 * tables and the two modules do not depend on each other at start.
 */
export type MediaResolver = (userId: UserId, mediaIds: readonly MediaId[]) => Promise<readonly MediaView[]>;

/** The messaging module's public interface. Every method checks membership. */
export interface MessagingApi {
  /**
   * Stores a message and its event in one transaction and resolves only after
   * commit. The same (chat, sender, clientMsgId) returns the first message
   * with `created: false`. Throws CHAT_NOT_FOUND, CHAT_WRITE_FORBIDDEN,
   * VALIDATION_FAILED (the limits in @kaif/protocol's limits.ts, or blank
   * text), and DEPENDENCY_UNAVAILABLE with a retry hint when the server is
   * at capacity.
   */
  sendMessage(userId: UserId, input: SendInput): Promise<{ readonly message: Message; readonly created: boolean }>;
  /**
   * No I/O: false while a send into this chat would be refused for want of
   * room (the server is at capacity). Transports ask first, so an overloaded
   * server refuses the excess before spending a flood-budget round trip on
   * it. True holds a place in the queue for that send for a second, so the
   * sends admitted while their budget is checked cannot outnumber the room.
   */
  admitsSend(chatId: ChatId): boolean;
  /**
   * An MLS message into a secret chat (the HTTP route's operation): throws
   * EPOCH_CONFLICT for a commit not built on the current epoch; the same
   * clientMsgId returns the first message with `created: false`.
   */
  sendSecret(userId: UserId, chatId: string, input: SendSecretMessageInput): Promise<{ readonly message: Message; readonly created: boolean }>;
  /**
   * A `transfer` message from `transfer.fromUserId` (for the wallet, after
   * the money moved): both users must be members. Idempotent on
   * (chat, sender, clientMsgId). Throws CHAT_NOT_FOUND, CHAT_WRITE_FORBIDDEN,
   * MEMBER_NOT_FOUND (receiver), CHAT_TYPE_MISMATCH (secret chats).
   */
  sendTransfer(chatId: ChatId, clientMsgId: string, transfer: MessageTransfer): Promise<{ readonly message: Message; readonly created: boolean }>;
  /**
   * Whether the user is a member of a chat in which a message that is not
   * deleted carries this media: who besides its uploader may read it.
   */
  canSeeMedia(userId: UserId, mediaId: MediaId): Promise<boolean>;
  /** Of these media, those some message that is not deleted carries (any chat): what a cleanup must keep. */
  mediaInUse(mediaIds: readonly MediaId[]): Promise<ReadonlySet<MediaId>>;
  /** Sets how sends resolve `mediaIds`; until one is set, a send with media is refused (VALIDATION_FAILED). */
  useMediaResolver(resolver: MediaResolver): void;
  /** Newest first with `before`, oldest first with `after`; limit ≤ 100. */
  listMessages(
    userId: UserId,
    chatId: ChatId,
    page: { readonly before?: number; readonly after?: number; readonly limit?: number },
  ): Promise<readonly Message[]>;
  /** Moves the read marker forward (never back). */
  markRead(userId: UserId, chatId: ChatId, seq: number): Promise<void>;
  /** Throws CHAT_NOT_FOUND unless the user is a member, CHAT_WRITE_FORBIDDEN unless they may post (a channel's subscribers may not). */
  assertCanPost(userId: UserId, chatId: ChatId): Promise<void>;
  /** Every chat the user belongs to: what a gateway subscribes to. */
  chatIdsOf(userId: UserId): Promise<readonly ChatId[]>;
  /**
   * Every chat the user belongs to, with its type and direct peer.
   * Presence is announced live in direct chats only, which a member count
   * cannot tell apart (a group may have two members).
   */
  chatsOf(userId: UserId): Promise<readonly ChatMembership[]>;
  /**
   * Whether the two users are members of one direct chat or group: what
   * makes them contacts for presence. A shared channel does not count, so
   * subscribers never learn about each other.
   */
  sharesChat(userId: UserId, otherId: UserId): Promise<boolean>;
  /**
   * The direct chat of two users, created if they have none yet (unique
   * per pair, so concurrent calls agree). Throws USER_NOT_FOUND for a peer
   * that does not exist.
   */
  openDirectChat(userId: UserId, peerId: UserId): Promise<ChatId>;
  /** Throws CHAT_NOT_FOUND unless the user is a member (a channel's subscribers included). */
  assertMember(userId: UserId, chatId: ChatId): Promise<void>;
  /** The chat's type and title, for notifications; undefined when there is no such chat. */
  chatSummary(chatId: ChatId): Promise<ChatSummary | undefined>;
  /**
   * Up to `limit` member ids of the chat in id order, after `after` (null:
   * from the first): a large channel is walked page by page, never loaded
   * whole.
   */
  memberIdsPage(chatId: ChatId, after: UserId | null, limit: number): Promise<readonly UserId[]>;
  /**
   * The change feed: every event after `cursor` (null = from now: an empty
   * page with the current cursor) in the user's chats, in order per chat,
   * without duplicates. Throws CURSOR_INVALID for a malformed or too old
   * cursor.
   */
  changesSince(userId: UserId, cursor: string | null, limit?: number): Promise<FeedPage>;
  /**
   * The position a cursor (as changesSince returned it) names, to follow
   * live events from. Reads the cursor's stored base unless `known` holds
   * it. Throws CURSOR_INVALID as changesSince does.
   */
  feedPosition(userId: UserId, cursor: string, known?: FeedPosition): Promise<FeedPosition>;
  /**
   * Stores the position's channel seqs as a base, so its cursor names only
   * the channels that move after it (one row, the difference from the
   * position's previous base; kept 30 days, see cursor-bases.ts).
   */
  rebaseFeedPosition(userId: UserId, position: FeedPosition): Promise<void>;
}

declare module '../service-map.js' {
  interface ServiceMap {
    messaging: MessagingApi;
  }
}
