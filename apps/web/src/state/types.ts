import type { ChatEventOf, ChatId, ChatListItem, Message as SdkMessage, MessageSearchHit, PresenceStatus, UserId } from '@kaif/client';

/**
 * The shapes the UI works with, derived from the SDK's (API.md "Chats and
 * messages"): a server that adds fields changes nothing here.
 */
export type {
  ChatId,
  ChatRole,
  ChatType,
  ConnectionState,
  ExternalIdentityList,
  Me,
  Media,
  MessageId,
  Session,
  SignInProvider,
  TwoFactorSetup,
  User,
  UserId,
} from '@kaif/client';

/** The screens do not show where a forwarded copy came from yet. */
export type Message = Omit<SdkMessage, 'forwardedFrom'>;

/** A chat as the chat list shows it; `lastMessage` may be one sent from this device. */
export type Chat = Readonly<
  Pick<ChatListItem, 'id' | 'type' | 'title' | 'createdAt' | 'lastSeq' | 'role' | 'unreadCount' | 'peerId' | 'readSeq' | 'peerReadSeq'>
> & { readonly lastMessage: Message | null };

export type Presence = PresenceStatus;

/** A message found by search, with the fragment of its text to show and where the words found are in it. */
export type SearchHit = Omit<MessageSearchHit, 'forwardedFrom'>;

/** A page of search results; `nextCursor` fetches the next. */
export interface SearchPage {
  readonly hits: readonly SearchHit[];
  readonly nextCursor?: string;
}

/** What arrives over the realtime connection (API.md "Real time"), as the screens use it. */
export type LiveEvent =
  | { readonly type: 'message.new' | 'message.edited' | 'message.deleted'; readonly message: Message }
  | { readonly type: 'chat.read'; readonly chatId: ChatId; readonly userId: UserId; readonly seq: number }
  | { readonly type: 'chat.member'; readonly chatId: ChatId; readonly userId: UserId; readonly change: ChatEventOf<'chat.member'>['data']['change'] }
  /** Shown for `expiresInMs` unless renewed. */
  | { readonly type: 'typing'; readonly chatId: ChatId; readonly userId: UserId; readonly expiresInMs: number }
  | { readonly type: 'presence'; readonly userId: UserId; readonly status: Presence }
  /** The feed could not resume from our cursor: local history may have holes. */
  | { readonly type: 'resync' };

export interface HealthReport {
  readonly status: 'healthy' | 'degraded' | 'unhealthy';
  readonly checks: Readonly<Record<string, { readonly status: 'up' | 'down'; readonly detail?: string; readonly essential?: boolean }>>;
  readonly breakers: Readonly<Record<string, string>>;
  readonly roles?: readonly string[];
  readonly uptimeSeconds?: number;
}

/** My wallet as the wallet screen shows it (API.md "Wallet"). */
export interface Wallet {
  readonly balances: readonly { readonly asset: string; readonly amount: string }[];
  readonly assets: readonly { readonly asset: string; readonly name: string; readonly decimals: number }[];
}

/** One movement of my money: signed smallest units. */
export interface WalletHistoryLine {
  readonly transactionId: string;
  readonly kind: string;
  readonly asset: string;
  readonly amount: string;
  readonly createdAt: string;
}
