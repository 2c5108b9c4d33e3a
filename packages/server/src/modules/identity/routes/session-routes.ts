import { SessionIdParams, SessionListSchema } from '@kaif/protocol';
import { Type } from '@sinclair/typebox';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { HttpServer } from '../../../platform/http/http-server.js';
import { principalOf } from '../../../platform/http/principal.js';
import type { IdentityServices } from '../identity-services.js';
import { BEARER, TAGS } from './route-options.js';

export function registerSessionRoutes(app: HttpServer, services: IdentityServices): void {
  app.get(
    '/api/v1/auth/sessions',
    { schema: { tags: TAGS, security: BEARER, summary: 'The signed-in sessions of the caller', response: { 200: SessionListSchema } } },
    async (request) => {
      const principal = principalOf(request);
      const sessions = await services.sessions.list(principal.userId);
      return {
        sessions: sessions.map((session) => ({
          id: session.id,
          clientName: session.clientName,
          ip: session.ip,
          createdAt: session.createdAt.toISOString(),
          lastSeenAt: session.lastSeenAt.toISOString(),
          current: session.id === principal.sessionId,
        })),
      };
    },
  );

  app.delete(
    '/api/v1/auth/sessions/:id',
    {
      schema: { tags: TAGS, security: BEARER, summary: 'Sign one of the caller’s sessions out', params: SessionIdParams, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const revoked = await services.sessions.transact((_trx, revoke) =>
        revoke(principal.userId, { kind: 'only', sessionIds: [request.params.id] }, 'revoked'),
      );
      if (revoked.length === 0) throw new KaifError('SESSION_NOT_FOUND');
      return reply.status(204).send(null);
    },
  );
}
