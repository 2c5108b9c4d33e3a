import {
  AuthResultSchema,
  ExternalIdentityListSchema,
  LinkStartSchema,
  ProviderIdParams,
  SignInCodeBody,
  SignInProviderListSchema,
} from '@kaif/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KaifError } from '../../../platform/http/kaif-error.js';
import { principalOf } from '../../../platform/http/principal.js';
import { FLOW_TTL_MS } from '../external/sign-in-flows.js';
import type { IdentityServices } from '../identity-services.js';
import type { HttpServer } from '../../../platform/http/http-server.js';
import { handOver } from './refresh-cookie.js';
import { BEARER, PUBLIC, TAGS, clientOf } from './route-options.js';

const FLOW_COOKIE = 'kaif_sign_in_flow';
const PROVIDERS_PATH = '/api/v1/auth/providers';
/**
 * The flow cookie binds a provider sign-in to the browser that started it.
 * SameSite=Lax, not Strict: the provider's redirect back is a top-level
 * navigation from another site, which Strict would strip it from.
 */
const FLOW_COOKIE_OPTIONS = { httpOnly: true, secure: true, sameSite: 'lax', path: PROVIDERS_PATH } as const;

const CallbackQuery = Type.Object(
  {
    code: Type.Optional(Type.String({ maxLength: 2048 })),
    state: Type.Optional(Type.String({ maxLength: 512 })),
    iss: Type.Optional(Type.String({ maxLength: 2048 })),
    error: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: true },
);

export function registerProviderRoutes(app: HttpServer, services: IdentityServices, publicUrl: string | undefined): void {
  const { external } = services;
  const baseOf = (request: FastifyRequest) => publicUrl?.replace(/\/$/, '') ?? `${request.protocol}://${request.host}`;
  const redirectUri = (request: FastifyRequest, id: string) => `${baseOf(request)}${PROVIDERS_PATH}/${id}/callback`;

  app.get(
    PROVIDERS_PATH,
    { config: PUBLIC, schema: { tags: TAGS, summary: 'Sign-in providers configured on this server', response: { 200: SignInProviderListSchema } } },
    async () => ({ providers: external.list() }),
  );

  app.get(
    `${PROVIDERS_PATH}/:id/start`,
    { config: PUBLIC, schema: { tags: TAGS, summary: 'Redirect to the provider to sign in (code flow with PKCE, state, nonce)', params: ProviderIdParams } },
    async (request, reply) => {
      const { location, flowSecret } = await external.start(request.params.id, redirectUri(request, request.params.id), null);
      setFlowCookie(reply, flowSecret);
      return reply.redirect(location, 302);
    },
  );

  app.post(
    `${PROVIDERS_PATH}/:id/link`,
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Start linking the provider to the signed-in account; send the browser to `location`',
        params: ProviderIdParams,
        response: { 200: LinkStartSchema },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { location, flowSecret } = await external.start(request.params.id, redirectUri(request, request.params.id), principal.userId);
      setFlowCookie(reply, flowSecret);
      return { location };
    },
  );

  app.get(
    `${PROVIDERS_PATH}/:id/callback`,
    {
      config: PUBLIC,
      schema: { tags: TAGS, summary: 'The provider’s redirect back; redirects to the web client', params: ProviderIdParams, querystring: CallbackQuery },
    },
    async (request, reply) => {
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      const callbackUrl = new URL(`${redirectUri(request, request.params.id)}${query}`);
      const flowSecret = request.cookies[FLOW_COOKIE];
      reply.clearCookie(FLOW_COOKIE, FLOW_COOKIE_OPTIONS);
      // The result travels in the fragment, which browsers never send to a
      // server nor put in a Referer: no token or code in a query string.
      const landing = await external.callback(request.params.id, callbackUrl, flowSecret, request.ip).then(
        (outcome) => {
          if (outcome.kind === 'signed-in') return `/#sign-in-code=${outcome.code}`;
          return outcome.kind === 'linked' ? `/settings#linked=${outcome.provider}` : `/settings#link-error=${outcome.code}`;
        },
        (error: unknown) => {
          // A browser is navigating here: it gets the web client with a coded error, never a JSON 500.
          if (error instanceof KaifError) return `/#sign-in-error=${error.code}`;
          request.log.error({ err: error }, 'provider callback failed');
          return '/#sign-in-error=INTERNAL';
        },
      );
      return reply.redirect(`${baseOf(request)}${landing}`, 302);
    },
  );

  app.post(
    `${PROVIDERS_PATH}/exchange`,
    {
      config: PUBLIC,
      schema: {
        tags: TAGS,
        summary: 'Trade the one-time code from a provider sign-in for tokens (and a TOTP code when 2FA is on)',
        body: SignInCodeBody,
        response: { 200: AuthResultSchema },
      },
    },
    async (request, reply) =>
      handOver(reply, await external.exchange(request.body, clientOf(request, request.body.clientName)), request.body.refreshCookie === true),
  );

  app.get(
    '/api/v1/me/identities',
    { schema: { tags: TAGS, security: BEARER, summary: 'Providers linked to the caller’s account', response: { 200: ExternalIdentityListSchema } } },
    async (request) => services.externalAccounts.list(principalOf(request).userId),
  );

  app.delete(
    '/api/v1/me/identities/:id',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Unlink a provider, unless it is the last way to sign in',
        params: ProviderIdParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await services.externalAccounts.unlink(principalOf(request).userId, request.params.id);
      return reply.status(204).send(null);
    },
  );
}

function setFlowCookie(reply: FastifyReply, flowSecret: string): void {
  reply.setCookie(FLOW_COOKIE, flowSecret, { ...FLOW_COOKIE_OPTIONS, maxAge: FLOW_TTL_MS / 1000 });
}
