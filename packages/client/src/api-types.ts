import type { ChatListItemView, ChatView, MessageSearchHit as SearchHit, MessageSearchPage as SearchPage, MessageView, PresenceView } from '@kaif/protocol';

/** Response shapes from the protocol schemas (API.md "Chats and messages"). */
export type Chat = ChatView;
export type ChatListItem = ChatListItemView;
export type Message = MessageView;
/** `GET /users/:id/presence`: `unknown` when the user's privacy setting hides their presence from the caller. */
export type Presence = PresenceView;
/** A message found by search: the message, a snippet of its text and where the words found are in it. */
export type MessageSearchHit = SearchHit;
export type MessageSearchPage = SearchPage;
export type { MessageSearchParams } from '@kaif/protocol';

/** The protocol's words the SDK's shapes are made of, so an app needs only the SDK. */
export type {
  ChatEventType,
  ChatId,
  ChatRole,
  ChatType,
  ExternalIdentity,
  ExternalIdentityList,
  Me,
  MediaId,
  MediaKind,
  MediaView as Media,
  MessageId,
  PresenceStatus,
  PushNotificationPayload,
  Session,
  SignInProvider,
  TwoFactorSetup,
  User,
  UserId,
} from '@kaif/protocol';
export { CLIENT_MSG_ID_MAX_CHARS, MESSAGE_MAX_CHARS, TYPING_EXPIRES_MS, TYPING_THROTTLE_MS } from '@kaif/protocol';
