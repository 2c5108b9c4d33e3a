import { UserIdParams, MeSchema, PasswordChangeBody, UserListSchema, UserSchema, UserSearchQuery } from '@kaif/protocol';
import { Type } from '@sinclair/typebox';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { HttpServer } from '../../../platform/http/http-server.js';
import { principalOf } from '../../../platform/http/principal.js';
import type { IdentityServices } from '../identity-services.js';
import { BEARER, TAGS } from './route-options.js';

export function registerUserRoutes(app: HttpServer, services: IdentityServices): void {
  app.get(
    '/api/v1/me',
    { schema: { tags: TAGS, security: BEARER, summary: 'The caller’s own account, with email', response: { 200: MeSchema } } },
    async (request) => {
      const me = await services.users.me(principalOf(request).userId);
      if (!me) throw new KaifError('UNAUTHORIZED');
      return me;
    },
  );

  app.post(
    '/api/v1/me/password',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Change the password; signs every other session out',
        body: PasswordChangeBody,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await services.settings.changePassword(principalOf(request), request.body.currentPassword, request.body.newPassword);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/users/:id',
    { schema: { tags: TAGS, security: BEARER, summary: 'A user’s public profile', params: UserIdParams, response: { 200: UserSchema } } },
    async (request) => {
      principalOf(request);
      const user = await services.users.getUser(request.params.id);
      if (!user) throw new KaifError('USER_NOT_FOUND');
      return user;
    },
  );

  app.get(
    '/api/v1/users',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Find users by username or display name, typo-tolerant, best match first',
        querystring: UserSearchQuery,
        response: { 200: UserListSchema },
      },
    },
    async (request) => {
      principalOf(request);
      return { users: await services.users.search(request.query.query, request.query.limit, request.query.offset) };
    },
  );
}
