import { AdminBootstrapBody, AdminUserListSchema, AdminUserQuery, UserIdParams, SigningKeySchema, type UserId } from '@kaif/protocol';
import { Type } from '@sinclair/typebox';
import type { HttpServer } from '../../../platform/http/http-server.js';
import { adminOf, principalOf } from '../../../platform/http/principal.js';
import type { IdentityServices } from '../identity-services.js';
import { BEARER } from './route-options.js';

const TAGS = ['admin'];

export function registerAdminRoutes(app: HttpServer, services: IdentityServices): void {
  app.get(
    '/api/v1/admin/users',
    {
      schema: { tags: TAGS, security: BEARER, summary: 'Every account, oldest first', querystring: AdminUserQuery, response: { 200: AdminUserListSchema } },
    },
    async (request) => {
      adminOf(request);
      const { query, limit, offset } = request.query;
      return { users: await services.users.adminList(query, limit, offset) };
    },
  );

  app.post(
    '/api/v1/admin/users/:id/disable',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Disable an account and sign it out everywhere',
        params: UserIdParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await services.settings.disable(adminOf(request), request.params.id as UserId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/admin/users/:id/enable',
    { schema: { tags: TAGS, security: BEARER, summary: 'Let a disabled account sign in again', params: UserIdParams, response: { 204: Type.Null() } } },
    async (request, reply) => {
      adminOf(request);
      await services.settings.enable(request.params.id as UserId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/admin/signing-keys/rotate',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Start signing access tokens with a new key; tokens of the old one verify until they expire',
        response: { 200: SigningKeySchema },
      },
    },
    async (request) => {
      adminOf(request);
      return { kid: await services.keys.rotate() };
    },
  );

  app.post(
    '/api/v1/admin/bootstrap',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Become the first admin with the one-time code printed at first start; the role reaches the token at its next refresh',
        body: AdminBootstrapBody,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await services.adminBootstrap.redeem(principalOf(request).userId, request.body.code);
      return reply.status(204).send(null);
    },
  );
}
