import {
  AuthResultSchema,
  LoginBody,
  REFRESH_COOKIE,
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
import { clearRefreshCookie, handOver, presentedRefreshToken } from './refresh-cookie.js';
import { PUBLIC, TAGS, clientOf } from './route-options.js';

export function registerAuthRoutes(app: HttpServer, services: IdentityServices): void {
  app.post(
    '/api/v1/auth/register',
    { config: PUBLIC, schema: { tags: TAGS, summary: 'Create an account and sign in', body: RegisterBody, response: { 201: AuthResultSchema } } },
    async (request, reply) => {
      const result = await services.signIn.register(request.body, clientOf(request, request.body.clientName));
      return reply.status(201).send(handOver(reply, result, request.body.refreshCookie === true));
    },
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
    async (request, reply) =>
      handOver(reply, await services.signIn.login(request.body, clientOf(request, request.body.clientName)), request.body.refreshCookie === true),
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      config: PUBLIC,
      schema: {
        tags: TAGS,
        summary: 'Trade a refresh token (the body’s, else the refresh cookie’s) for a new pair; each works once',
        body: RefreshBody,
        response: { 200: TokenPairSchema },
      },
    },
    async (request, reply) => {
      const presented = presentedRefreshToken(request, request.body.refreshToken);
      try {
        return handOver(reply, await services.rotation.refresh(presented.token), presented.fromCookie);
      } catch (error) {
        // A refused cookie would otherwise be sent, and refused, on every page
        // load; an outage (503) or a rate limit (429) leaves it for a retry.
        if (presented.fromCookie && error instanceof KaifError && error.status === 401) clearRefreshCookie(reply);
        throw error;
      }
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: PUBLIC,
      schema: {
        tags: TAGS,
        summary: 'End the session of a refresh token (the body’s, else the refresh cookie’s) and clear the cookie',
        body: RefreshBody,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const token = request.body.refreshToken ?? request.cookies[REFRESH_COOKIE];
      if (token) await services.rotation.logout(token);
      clearRefreshCookie(reply);
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
