import { type ResolveAll, EndpointGuard as OutboundGuard } from '../../platform/http/endpoint-guard.js';
import { KaifError } from '../../platform/http/kaif-error.js';

export type { ResolveAll, SocketLookup } from '../../platform/http/endpoint-guard.js';

/**
 * The platform's SSRF guard (platform/http/endpoint-guard.ts) for push
 * endpoints: a subscription endpoint is a URL the server will POST to,
 * chosen by a client; a refusal is PUSH_ENDPOINT_REFUSED on `endpoint`.
 */
export class EndpointGuard extends OutboundGuard {
  constructor(allowPrivate: boolean, resolveAll?: ResolveAll, allowOrigins: readonly string[] = []) {
    super(allowPrivate, resolveAll, allowOrigins, (why) => new KaifError('PUSH_ENDPOINT_REFUSED', `This push endpoint is not allowed: ${why}`, { field: 'endpoint' }));
  }
}
