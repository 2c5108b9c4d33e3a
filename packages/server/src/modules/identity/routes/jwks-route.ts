import { JwksSchema } from '@kaif/protocol';
import type { HttpServer } from '../../../platform/http/http-server.js';
import type { IdentityServices } from '../identity-services.js';
import { PUBLIC, TAGS } from './route-options.js';

/** RFC 7517 JWK Set, so other services can verify access tokens offline. */
export function registerJwksRoute(app: HttpServer, services: IdentityServices): void {
  app.get(
    '/.well-known/jwks.json',
    { config: PUBLIC, schema: { tags: TAGS, summary: 'Public keys that verify access tokens', response: { 200: JwksSchema } } },
    async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send({ keys: [...services.keys.jwks()] }),
  );
}
