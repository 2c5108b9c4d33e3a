import {
  AuthResultSchema,
  LoginBody,
  RefreshBody,
  RegisterBody,
  TokenPairSchema,
  VerifyBody,
  VerifyResultSchema,
} from '@kaif/protocol';
import { Type } from '@sinclair/typebox';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { HttpServer } from '../../../platform/http/http-server.js';
import type { IdentityServices } from '../identity-services.js';
import { PUBLIC, TAGS, clientOf } from './route-options.js';

export function registerAuthRoutes(app: HttpServer, services: IdentityServices): void {
  app.post(
    '/api/v1/auth/register',
    { config: PUBLIC, schema: { tags: TAGS, summary: 'Create an account and sign in', body: RegisterBody, response: { 201: AuthResultSchema } } },
    async (request, reply) => reply.status(201).send(await services.signIn.register(request.body, clientOf(request, request.body.clientName))),
  );

  app.post(
    '/api/v1/auth/login',
    {
      config: PUBLIC,
      schema: {
        tags: TAGS,
        summary: 'Sign in with username or email and password (and a TOTP or recovery code when 2FA is on)',
        body: LoginBody,
        response: { 200: AuthResultSchema },
      },
    },
    async (request) => services.signIn.login(request.body, clientOf(request, request.body.clientName)),
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      config: PUBLIC,
      schema: { tags: TAGS, summary: 'Trade a refresh token for a new pair (each works once)', body: RefreshBody, response: { 200: TokenPairSchema } },
    },
    async (request) => services.rotation.refresh(request.body.refreshToken),
  );

  app.post(
    '/api/v1/auth/logout',
    { config: PUBLIC, schema: { tags: TAGS, summary: 'End the session of a refresh token', body: RefreshBody, response: { 204: Type.Null() } } },
    async (request, reply) => {
      await services.rotation.logout(request.body.refreshToken);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/auth/verify',
    {
      config: PUBLIC,
      schema: { tags: TAGS, summary: 'Check an access token and return its user', body: VerifyBody, response: { 200: VerifyResultSchema } },
    },
    async (request) => {
      const principal = await services.api.authenticate(request.body.token);
      const user = await services.users.getUser(principal.userId);
      if (!user) throw new KaifError('TOKEN_INVALID');
      return { user };
    },
  );
}
