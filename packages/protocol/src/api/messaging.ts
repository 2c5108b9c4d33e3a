import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { ChatEventSchema } from '../chat-event.js';
import { ChatRoleSchema, ChatTypeSchema } from '../chat-kind.js';
import { ChatIdSchema, UserIdSchema } from '../ids.js';
import { ChatIdInput, ClientMsgId, CursorText, MessageIdInput, MessageText, UserIdInput } from '../limits.js';
import { MediaIdsInput } from '../media.js';
import { MessageSchema } from '../message.js';
import { DisplayText, SafeText } from '../text.js';
import { Instant } from '../instant.js';

/**
 * Request and response shapes of the chats API (API.md "Chats and
 * messages"), shared by the server's validation, the OpenAPI document and
 * the SDK.
 */

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Seq = Type.Integer({ minimum: 0 });

/** History pages hold at most this many messages. */
export const HISTORY_MAX_LIMIT = 100;
/** Change-feed pages hold at most this many events. */
export const UPDATES_MAX_LIMIT = 500;
/** Members a group may hold; larger audiences are channels. */
export const GROUP_MAX_MEMBERS = 1000;
/** Members that may be named when a chat is created. */
export const CREATE_MAX_MEMBERS = 100;

export const ChatSchema = Type.Object({
  id: ChatIdSchema,
  type: ChatTypeSchema,
  title: Nullable(Type.String()),
  description: Nullable(Type.String()),
  createdAt: Instant,
  lastSeq: Seq,
  role: ChatRoleSchema,
  memberCount: Type.Integer({ minimum: 0 }),
  /** The other member of a direct chat; null for groups and channels. */
  peerId: Nullable(UserIdSchema),
});
export type ChatView = Static<typeof ChatSchema>;

export const ChatListItemSchema = Type.Composite([
  ChatSchema,
  Type.Object({
    lastMessage: Nullable(MessageSchema),
    unreadCount: Type.Integer({ minimum: 0 }),
    readSeq: Type.Integer({ minimum: 0, description: 'My read marker' }),
    peerReadSeq: Type.Integer({
      minimum: 0,
      description: 'How far any other member has read (read receipts); 0 in channels',
    }),
  }),
]);
export type ChatListItemView = Static<typeof ChatListItemSchema>;

export const FeedPageSchema = Type.Object({
  events: Type.Array(ChatEventSchema),
  cursor: Type.String(),
  hasMore: Type.Boolean(),
});

export const ChatIdParams = Type.Object({ id: ChatIdInput });
export const MemberParams = Type.Object({ id: ChatIdInput, userId: UserIdInput });
export const MessageParams = Type.Object({ id: ChatIdInput, messageId: MessageIdInput });

const Title = DisplayText({ minLength: 1, maxLength: 128 });

export const CreateChatBody = Type.Object({
  type: ChatTypeSchema,
  title: Type.Optional(Title),
  memberIds: Type.Optional(Type.Array(UserIdInput, { maxItems: CREATE_MAX_MEMBERS, uniqueItems: true })),
});
export const UpdateChatBody = Type.Object({
  title: Type.Optional(Title),
  description: Type.Optional(SafeText({ maxLength: 1024 })),
});
export const AddMemberBody = Type.Object({ userId: UserIdInput });
export const SetRoleBody = Type.Object({ role: Type.Union([Type.Literal('admin'), Type.Literal('member')]) });

export const SendMessageBody = Type.Object({
  clientMsgId: ClientMsgId,
  /** Optional only with mediaIds: a caption. */
  text: Type.Optional(MessageText),
  mediaIds: Type.Optional(MediaIdsInput),
  replyToId: Type.Optional(Nullable(MessageIdInput)),
});
export const EditMessageBody = Type.Object({ text: MessageText });
export const ForwardMessageBody = Type.Object({ toChatId: ChatIdInput, clientMsgId: ClientMsgId });
export const ReadBody = Type.Object({ seq: Seq });

export const HistoryQuery = Type.Object({
  before: Type.Optional(Seq),
  after: Type.Optional(Seq),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: HISTORY_MAX_LIMIT })),
});
export const UpdatesQuery = Type.Object({
  cursor: Type.Optional(CursorText),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: UPDATES_MAX_LIMIT })),
});

export const ChatListResponse = Type.Object({ chats: Type.Array(ChatListItemSchema) });
export const MessageListResponse = Type.Object({ messages: Type.Array(MessageSchema) });
