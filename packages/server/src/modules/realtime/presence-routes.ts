import { PresenceViewSchema, UserIdInput, type UserId } from '@kaif/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { HttpServer } from '../../platform/http/http-server.js';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Principal } from '../../platform/http/principal.js';
import type { IdentityApi } from '../identity/api.js';
import type { MessagingApi } from '../messaging/api.js';
import type { PresenceTracker } from './presence-tracker.js';
import { maySeePresence } from './presence-visibility.js';

/**
 * `GET /api/v1/users/:id/presence`: whether a user is online now, else when
 * last seen — for those the user's privacy setting lets see it. Anyone else
 * gets `unknown`, the same answer whatever the user is doing.
 */
export function registerPresenceRoutes(
  http: HttpServer,
  presence: PresenceTracker,
  identity: IdentityApi,
  messaging: MessagingApi,
): void {
  http.get(
    '/api/v1/users/:id/presence',
    {
      schema: {
        tags: ['realtime'],
        summary: 'A user’s presence',
        security: [{ bearer: [] }],
        params: Type.Object({ id: UserIdInput }),
        response: { 200: PresenceViewSchema },
      },
    },
    async (request) => {
      const viewer = await signedIn(request, identity);
      const userId = request.params.id as UserId;
      if (!(await identity.getUser(userId))) throw new KaifError('USER_NOT_FOUND');
      if (!(await maySeePresence(identity, messaging, viewer.userId, userId))) return { userId, status: 'unknown' as const, lastSeen: null };
      const [state] = await presence.presenceOf([userId]);
      return state!;
    },
  );
}

/** The caller, from the identity module's request hook when it ran, else from the bearer token. */
async function signedIn(request: FastifyRequest, identity: IdentityApi): Promise<Principal> {
  if (request.principal) return request.principal;
  const header = request.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
  if (!token) throw new KaifError('UNAUTHORIZED');
  return identity.authenticate(token);
}
