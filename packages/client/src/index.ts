export {
  type Chat,
  type ChatEventType,
  type ChatId,
  type ChatListItem,
  type ChatRole,
  type ChatType,
  CLIENT_MSG_ID_MAX_CHARS,
  type ExternalIdentity,
  type ExternalIdentityList,
  MESSAGE_MAX_CHARS,
  type Me,
  type Media,
  type MediaId,
  type MediaKind,
  type Message,
  type MessageId,
  type MessageSearchHit,
  type MessageSearchPage,
  type MessageSearchParams,
  type Presence,
  type PresenceStatus,
  type PushNotificationPayload,
  type Session,
  type SignInProvider,
  TYPING_EXPIRES_MS,
  TYPING_THROTTLE_MS,
  type TwoFactorSetup,
  type User,
  type UserId,
} from './api-types.js';
export { type FetchLike, HttpTransport, type RequestOptions } from './http-transport.js';
export { KaifApiError } from './kaif-api-error.js';
export { KaifClient, type KaifClientOptions } from './kaif-client.js';
export { backoffDelay } from './realtime/backoff.js';
export { type CursorStore, localStorageCursorStore, memoryCursorStore } from './realtime/cursor-store.js';
export { type ChatEventOf, type ConnectionState, RealtimeClient, type RealtimeEvents, type RealtimeOptions } from './realtime/realtime-client.js';
export type { OutgoingMessage } from './realtime/send-queue.js';
export { globalWebSocketFactory, type WebSocketFactory, type WebSocketLike } from './realtime/web-socket.js';
export { SessionTokens, tokenExpiry } from './session-tokens.js';
export { memoryTokenStore, type StoredTokens, type TokenStore } from './token-store.js';
// Secret chats: types only here, so a browser bundle loads MLS (ts-mls) from
// '@kaif/client/secret' when it first needs it; '@kaif/client/node' has it all.
export type { DeviceKeys } from './secret/device-keys.js';
export type { DeviceName, GroupDevice } from './secret/mls-codec.js';
export type { KeyUpdateSchedule, SecretChats } from './secret/secret-chats.js';
export type { SecretChatEvents, SecretMessage, Undecryptable, UndecryptableReason } from './secret/secret-events.js';
export type { SecretHistory, SecretHistoryEntry } from './secret/secret-history.js';
export type { SecretStore } from './secret/secret-store.js';
