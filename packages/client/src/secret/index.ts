/**
 * Secret chats on their own entry point, so a web app can load MLS (ts-mls)
 * only when a secret chat is opened: `await import('@kaif/client/secret')`.
 */
export { indexedDbSecretStore } from './indexeddb-secret-store.js';
export { SecretChats } from './secret-chats.js';
