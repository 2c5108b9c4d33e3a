import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { DisplayText, SafeText } from '../text.js';

/**
 * Request and response shapes of the chats API (API.md "Chats and
 * messages"), shared by the server's validation, the OpenAPI document and
 * the SDK.
 */

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Id = SafeText({ minLength: 1, maxLength: 64 });
const Seq = Type.Integer({ minimum: 0 });
const Instant = Type.String({ format: 'date-time' });

/** A message holds 1 to 4096 characters (Unicode code points). */
export const MESSAGE_MAX_CHARS = 4096;
/** History pages hold at most this many messages. */
export const HISTORY_MAX_LIMIT = 100;
/** Change-feed pages hold at most this many events. */
export const UPDATES_MAX_LIMIT = 500;
/** Members a group may hold; larger audiences are channels. */
export const GROUP_MAX_MEMBERS = 1000;
/** Members that may be named when a chat is created. */
export const CREATE_MAX_MEMBERS = 100;

export const ChatTypeSchema = Type.Union([Type.Literal('direct'), Type.Literal('group'), Type.Literal('channel')]);
export const ChatRoleSchema = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]);

export const ChatSchema = Type.Object({
  id: Id,
  type: ChatTypeSchema,
  title: Nullable(Type.String()),
  description: Nullable(Type.String()),
  createdAt: Instant,
  lastSeq: Seq,
  role: ChatRoleSchema,
  memberCount: Type.Integer({ minimum: 0 }),
  /** The other member of a direct chat; null for groups and channels. */
  peerId: Nullable(Id),
});
export type ChatView = Static<typeof ChatSchema>;

export const MessageSchema = Type.Object({
  id: Id,
  chatId: Id,
  seq: Seq,
  senderId: Id,
  text: Nullable(Type.String()),
  replyToId: Nullable(Id),
  clientMsgId: Type.String(),
  createdAt: Instant,
  editedAt: Nullable(Instant),
  deleted: Type.Boolean(),
  forwardedFrom: Nullable(Type.Object({ chatId: Id, messageId: Id, senderId: Id })),
});
export type MessageView = Static<typeof MessageSchema>;

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

export const ChatEventSchema = Type.Object({
  chatId: Id,
  seq: Seq,
  type: Type.Union([
    Type.Literal('message.new'),
    Type.Literal('message.edited'),
    Type.Literal('message.deleted'),
    Type.Literal('chat.read'),
    Type.Literal('chat.member'),
    Type.Literal('chat.updated'),
  ]),
  at: Instant,
  data: Type.Object({}, { additionalProperties: true }),
});

export const FeedPageSchema = Type.Object({
  events: Type.Array(ChatEventSchema),
  cursor: Type.String(),
  hasMore: Type.Boolean(),
});

export const ChatIdParams = Type.Object({ id: Id });
export const MemberParams = Type.Object({ id: Id, userId: Id });
export const MessageParams = Type.Object({ id: Id, messageId: Id });

const Title = DisplayText({ minLength: 1, maxLength: 128 });

export const CreateChatBody = Type.Object({
  type: ChatTypeSchema,
  title: Type.Optional(Title),
  memberIds: Type.Optional(Type.Array(Id, { maxItems: CREATE_MAX_MEMBERS, uniqueItems: true })),
});
export const UpdateChatBody = Type.Object({
  title: Type.Optional(Title),
  description: Type.Optional(SafeText({ maxLength: 1024 })),
});
export const AddMemberBody = Type.Object({ userId: Id });
export const SetRoleBody = Type.Object({ role: Type.Union([Type.Literal('admin'), Type.Literal('member')]) });

const ClientMsgId = SafeText({ minLength: 1, maxLength: 64 });
const MessageText = SafeText({ minLength: 1, maxLength: MESSAGE_MAX_CHARS });

export const SendMessageBody = Type.Object({
  clientMsgId: ClientMsgId,
  text: MessageText,
  replyToId: Type.Optional(Nullable(Id)),
});
export const EditMessageBody = Type.Object({ text: MessageText });
export const ForwardMessageBody = Type.Object({ toChatId: Id, clientMsgId: ClientMsgId });
export const ReadBody = Type.Object({ seq: Seq });

export const HistoryQuery = Type.Object({
  before: Type.Optional(Seq),
  after: Type.Optional(Seq),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: HISTORY_MAX_LIMIT })),
});
export const UpdatesQuery = Type.Object({
  cursor: Type.Optional(SafeText({ maxLength: 262_144 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: UPDATES_MAX_LIMIT })),
});

export const ChatListResponse = Type.Object({ chats: Type.Array(ChatListItemSchema) });
export const MessageListResponse = Type.Object({ messages: Type.Array(MessageSchema) });
