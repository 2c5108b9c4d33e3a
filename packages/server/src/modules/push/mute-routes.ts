import { ChatMuteBody, ChatMuteParams, ChatMuteSchema, type ChatId } from '@kaif/protocol';
import type { HttpServer } from '../../platform/http/http-server.js';
import { principalOf } from '../../platform/http/principal.js';
import type { PushServices } from './push-services.js';

const TAGS = ['chats'];
const BEARER = [{ bearer: [] }];

/** Mute a chat's notifications until a time (any member, a channel's subscribers included). */
export function registerMuteRoutes(http: HttpServer, services: PushServices): void {
  const { preferences, messaging } = services;

  http.get(
    '/api/v1/chats/:id/mute',
    { schema: { tags: TAGS, security: BEARER, summary: 'Until when the caller muted this chat’s notifications', params: ChatMuteParams, response: { 200: ChatMuteSchema } } },
    async (request) => {
      const { userId } = principalOf(request);
      const chatId = request.params.id as ChatId;
      await messaging.assertMember(userId, chatId);
      const until = await preferences.mutedUntil(userId, chatId);
      return { chatId, mutedUntil: until?.toISOString() ?? null };
    },
  );

  http.put(
    '/api/v1/chats/:id/mute',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Mute this chat’s notifications until `until` (null or a past time unmutes; a far-future date mutes for good)',
        params: ChatMuteParams,
        body: ChatMuteBody,
        response: { 200: ChatMuteSchema },
      },
    },
    async (request) => {
      const { userId } = principalOf(request);
      const chatId = request.params.id as ChatId;
      await messaging.assertMember(userId, chatId);
      const until = await preferences.mute(userId, chatId, request.body.until === null ? null : new Date(request.body.until));
      return { chatId, mutedUntil: until?.toISOString() ?? null };
    },
  );
}
