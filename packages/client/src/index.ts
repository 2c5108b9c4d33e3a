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
  type Message,
  type MessageId,
  type Presence,
  type PresenceStatus,
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
export { DeviceKeys } from './secret/device-keys.js';
export { indexedDbSecretStore } from './secret/indexeddb-secret-store.js';
export { CIPHERSUITE, type DeviceName, type GroupDevice } from './secret/mls-codec.js';
export { safetyNumber } from './secret/safety-number.js';
export { type KeyUpdateSchedule, SecretChats } from './secret/secret-chats.js';
export type { SecretChatEvents, SecretMessage, Undecryptable, UndecryptableReason } from './secret/secret-events.js';
export { memorySecretStore, type SecretStore } from './secret/secret-store.js';
