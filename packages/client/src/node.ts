import WebSocket from 'ws';
import type { WebSocketFactory, WebSocketLike } from './realtime/web-socket.js';

export * from './index.js';
export * from './node-tcp/index.js';
export { fileSecretHistory } from './node-secret-history.js';
export { fileSecretStore } from './node-secret-store.js';
// Explicit, so these values win over the type-only names of the same secret-chat exports in index.js.
export {
  CIPHERSUITE,
  DeviceKeys,
  SecretChats,
  indexedDbSecretHistory,
  indexedDbSecretStore,
  memorySecretHistory,
  memorySecretStore,
  safetyNumber,
} from './secret/index.js';

export interface NodeWebSocketOptions {
  /** Source address for the connection (load generators spread over 127.0.0.x). */
  readonly localAddress?: string;
  /** Sent as the Origin header; Node clients normally send none. */
  readonly origin?: string;
}

/** A WebSocket factory for Node 20, which has no global WebSocket. */
export function nodeWebSocket(options: NodeWebSocketOptions = {}): WebSocketFactory {
  return (url) =>
    new WebSocket(url, {
      perMessageDeflate: false,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      ...(options.origin ? { origin: options.origin } : {}),
    }) as unknown as WebSocketLike;
}
