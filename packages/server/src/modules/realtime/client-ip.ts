import type { IncomingMessage } from 'node:http';

/**
 * The address a WebSocket upgrade came from. Behind a proxy that sets
 * X-Forwarded-For (KAIF_TRUST_PROXY), the first address it lists; otherwise
 * the socket's, which a client cannot forge.
 */
export function clientIpOf(request: IncomingMessage, trustProxy: boolean): string {
  const forwarded = request.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  if (trustProxy && first) return first;
  return request.socket.remoteAddress ?? 'unknown';
}
