import {
  ChatIdParams,
  EditMessageBody,
  FeedPageSchema,
  ForwardMessageBody,
  HistoryQuery,
  MessageListResponse,
  MessageParams,
  MessageSchema,
  ReadBody,
  SendMessageBody,
  UpdatesQuery,
} from '@kaif/protocol';
import { Type } from '@sinclair/typebox';
import type { HttpServer } from '../../platform/http/http-server.js';
import { principalOf } from '../../platform/http/principal.js';
import type { ChatId, MessageId } from '@kaif/protocol';
import { BEARER, TAGS } from './chat-routes.js';
import type { MessagingServices } from './messaging-services.js';

const NoContent = { 204: Type.Null() };

/** Messages, read markers and the change feed over HTTP. */
export function registerMessageRoutes(http: HttpServer, services: MessagingServices): void {
  const { messages } = services;

  http.post(
    '/api/v1/chats/:id/messages',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Send a message (1 to 4096 characters, or media with an optional caption); the same clientMsgId again returns the first message, 200',
        params: ChatIdParams,
        body: SendMessageBody,
        response: { 200: MessageSchema, 201: MessageSchema },
      },
    },
    async (request, reply) => {
      const { clientMsgId, text, replyToId, mediaIds } = request.body;
      const { message, created } = await messages.send(principalOf(request).userId, {
        chatId: request.params.id as ChatId,
        clientMsgId,
        text: text ?? '',
        replyToId: (replyToId ?? null) as MessageId | null,
        ...(mediaIds ? { mediaIds } : {}),
      });
      return reply.status(created ? 201 : 200).send(message);
    },
  );

  http.get(
    '/api/v1/chats/:id/messages',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'History: newest first with before (or neither), oldest first with after; limit ≤ 100',
        params: ChatIdParams,
        querystring: HistoryQuery,
        response: { 200: MessageListResponse },
      },
    },
    async (request) => ({ messages: await messages.list(principalOf(request).userId, request.params.id, request.query) }),
  );

  http.patch(
    '/api/v1/chats/:id/messages/:messageId',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Edit your message',
        params: MessageParams,
        body: EditMessageBody,
        response: { 200: MessageSchema },
      },
    },
    async (request) =>
      messages.edit(principalOf(request).userId, request.params.id, request.params.messageId, request.body.text),
  );

  http.delete(
    '/api/v1/chats/:id/messages/:messageId',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Delete a message (its sender, or the owner or an admin); a tombstone stays',
        params: MessageParams,
        response: NoContent,
      },
    },
    async (request, reply) => {
      await messages.delete(principalOf(request).userId, request.params.id, request.params.messageId);
      return reply.status(204).send(null);
    },
  );

  http.post(
    '/api/v1/chats/:id/messages/:messageId/forward',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Forward a copy into another chat (idempotent by clientMsgId there)',
        params: MessageParams,
        body: ForwardMessageBody,
        response: { 200: MessageSchema, 201: MessageSchema },
      },
    },
    async (request, reply) => {
      const { message, created } = await messages.forward(
        principalOf(request).userId,
        request.params.id,
        request.params.messageId,
        request.body,
      );
      return reply.status(created ? 201 : 200).send(message);
    },
  );

  http.post(
    '/api/v1/chats/:id/read',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Move your read marker forward (never back)',
        params: ChatIdParams,
        body: ReadBody,
        response: NoContent,
      },
    },
    async (request, reply) => {
      await messages.markRead(principalOf(request).userId, request.params.id, request.body.seq);
      return reply.status(204).send(null);
    },
  );

  http.get(
    '/api/v1/updates',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'The change feed after a cursor (none: an empty page with the current cursor)',
        querystring: UpdatesQuery,
        response: { 200: FeedPageSchema },
      },
    },
    async (request) => {
      const page = await services.feed.changesSince(principalOf(request).userId, request.query.cursor ?? null, request.query.limit);
      return { ...page, events: [...page.events] };
    },
  );
}
