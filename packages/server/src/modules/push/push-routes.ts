import {
  PushOpenedBody,
  PushSettingsSchema,
  PushSubscriptionBody,
  PushSubscriptionCreatedSchema,
  PushSubscriptionListSchema,
  PushSubscriptionParams,
  VapidPublicKeySchema,
} from '@kaif/protocol';
import { Type } from '@sinclair/typebox';
import type { HttpServer } from '../../platform/http/http-server.js';
import { principalOf } from '../../platform/http/principal.js';
import type { PushServices } from './push-services.js';

const TAGS = ['push'];
const BEARER = [{ bearer: [] }];

/** Subscriptions, the preview setting and the opened receipt (API.md "Push"). */
export function registerPushRoutes(http: HttpServer, services: PushServices): void {
  const { subscriptions, preferences, guard, receipts, ledger, dispatcher, vapid } = services;

  http.get(
    '/api/v1/push/vapid-public-key',
    { schema: { tags: TAGS, security: BEARER, summary: 'The VAPID public key to subscribe with (applicationServerKey)', response: { 200: VapidPublicKeySchema } } },
    async (request) => {
      principalOf(request);
      return { publicKey: vapid.publicKey };
    },
  );

  http.post(
    '/api/v1/push/subscriptions',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Subscribe this device session to Web Push; the endpoint must be https on a public host (PUSH_ENDPOINT_REFUSED)',
        body: PushSubscriptionBody,
        response: { 201: PushSubscriptionCreatedSchema },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await guard.check(request.body.endpoint);
      const id = await subscriptions.subscribe(principal.userId, principal.sessionId, request.body);
      services.senderWanted();
      return reply.status(201).send({ id });
    },
  );

  http.get(
    '/api/v1/push/subscriptions',
    { schema: { tags: TAGS, security: BEARER, summary: 'The caller’s push subscriptions, one per subscribed device', response: { 200: PushSubscriptionListSchema } } },
    async (request) => {
      const principal = principalOf(request);
      const rows = await subscriptions.list(principal.userId);
      return {
        subscriptions: rows.map((row) => ({
          id: row.id,
          host: new URL(row.endpoint).host,
          createdAt: new Date(row.created_at).toISOString(),
          current: row.session_id === principal.sessionId,
        })),
      };
    },
  );

  http.delete(
    '/api/v1/push/subscriptions/:id',
    {
      schema: { tags: TAGS, security: BEARER, summary: 'Stop pushing to one of the caller’s devices', params: PushSubscriptionParams, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      await subscriptions.unsubscribe(principalOf(request).userId, request.params.id);
      return reply.status(204).send(null);
    },
  );

  http.get(
    '/api/v1/push/settings',
    { schema: { tags: TAGS, security: BEARER, summary: 'Notification settings (previews off by default)', response: { 200: PushSettingsSchema } } },
    async (request) => ({ previews: await preferences.previews(principalOf(request).userId) }),
  );

  http.put(
    '/api/v1/push/settings',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Show message text in notifications (previews) or only who wrote in which chat',
        body: PushSettingsSchema,
        response: { 200: PushSettingsSchema },
      },
    },
    async (request) => {
      await preferences.setPreviews(principalOf(request).userId, request.body.previews);
      return { previews: request.body.previews };
    },
  );

  http.post(
    '/api/v1/push/opened',
    {
      schema: {
        tags: TAGS,
        summary: 'A service worker reports a notification opened, with the receipt it carried (no token: service workers hold none)',
        body: PushOpenedBody,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const ref = receipts.verify(request.body.receipt);
      await ledger.opened(ref);
      await dispatcher.opened(ref);
      return reply.status(204).send(null);
    },
  );
}
