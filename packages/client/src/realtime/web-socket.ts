/**
 * The part of the WHATWG WebSocket the SDK uses. Browsers provide it
 * globally; in Node 20, `@kaif/client/node` provides a factory over `ws`.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

/** WebSocket.OPEN in every implementation. */
export const OPEN = 1;

/** The global WebSocket (browsers, Deno, Node 22+), if there is one. */
export function globalWebSocketFactory(): WebSocketFactory | undefined {
  const Constructor = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket;
  return Constructor ? (url) => new Constructor(url) : undefined;
}
