import type { ChatId, Me, MessageId, Session, TwoFactorSetup, User, UserId } from '@kaif/protocol';

/**
 * The shapes the UI works with (API.md "Chats and messages"). They are the
 * SDK's shapes narrowed to what the screens read, so a server that adds
 * fields changes nothing here.
 */
export type { ChatId, Me, MessageId, Session, TwoFactorSetup, User, UserId };

export type ChatType = 'direct' | 'group' | 'channel';
export type ChatRole = 'owner' | 'admin' | 'member';
export type ConnectionState = 'connecting' | 'online' | 'offline';
export type Presence = 'online' | 'offline' | 'away';

export interface Message {
  readonly id: MessageId;
  readonly chatId: ChatId;
  readonly seq: number;
  readonly senderId: UserId;
  readonly text: string | null;
  readonly replyToId: MessageId | null;
  readonly clientMsgId: string;
  readonly createdAt: string;
  readonly editedAt: string | null;
  readonly deleted: boolean;
}

export interface Chat {
  readonly id: ChatId;
  readonly type: ChatType;
  readonly title: string | null;
  readonly createdAt: string;
  readonly lastSeq: number;
  readonly role: ChatRole | null;
  readonly lastMessage: Message | null;
  readonly unreadCount: number;
  /** The other member of a direct chat, when the server names them. */
  readonly peerId: UserId | null;
  /** My read marker: every message at or below it is read by me. */
  readonly readSeq: number;
  /** The highest read marker of the other members: drives "read" ticks. */
  readonly peerReadSeq: number;
}

/** What arrives over the realtime connection (API.md "Real time"). */
export type LiveEvent =
  | { readonly type: 'message.new' | 'message.edited' | 'message.deleted'; readonly message: Message }
  | { readonly type: 'chat.read'; readonly chatId: ChatId; readonly userId: UserId; readonly seq: number }
  | { readonly type: 'chat.member'; readonly chatId: ChatId; readonly userId: UserId; readonly change: string }
  | { readonly type: 'typing'; readonly chatId: ChatId; readonly userId: UserId }
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
