/**
 * Secret chats (MLS, RFC 9420) on their own entry point, so a web app loads
 * ts-mls only when a secret chat is used: `await import('@kaif/client/secret')`.
 * `@kaif/client/node` re-exports all of it.
 */
export { DeviceKeys } from './device-keys.js';
export { indexedDbSecretHistory } from './indexeddb-secret-history.js';
export { indexedDbSecretStore } from './indexeddb-secret-store.js';
export { CIPHERSUITE, type DeviceName, type GroupDevice } from './mls-codec.js';
export { safetyNumber } from './safety-number.js';
export { type KeyUpdateSchedule, SecretChats } from './secret-chats.js';
export type { SecretChatEvents, SecretMessage, Undecryptable, UndecryptableReason } from './secret-events.js';
export { memorySecretHistory, type SecretHistory, type SecretHistoryEntry } from './secret-history.js';
export { memorySecretStore, type SecretStore } from './secret-store.js';
