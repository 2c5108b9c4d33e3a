import {
  AddMemberBody,
  ChatIdParams,
  ChatListResponse,
  ChatSchema,
  CreateChatBody,
  MemberParams,
  SetRoleBody,
  UpdateChatBody,
} from '@kaif/protocol';
import { Type } from '@sinclair/typebox';
import type { HttpServer } from '../../platform/http/http-server.js';
import { principalOf } from '../../platform/http/principal.js';
import type { MessagingServices } from './messaging-services.js';

export const TAGS = ['chats'];
export const BEARER = [{ bearer: [] }];
const NoContent = { 204: Type.Null() };

/** Chats and their members (API.md "Chats and messages"). */
export function registerChatRoutes(http: HttpServer, services: MessagingServices): void {
  const { chats, members } = services;

  http.post(
    '/api/v1/chats',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Create a direct chat, group or channel (a direct chat with the same peer is returned, 200)',
        body: CreateChatBody,
        response: { 200: ChatSchema, 201: ChatSchema },
      },
    },
    async (request, reply) => {
      const { userId } = principalOf(request);
      const { chat, created } = await chats.create(userId, request.body);
      return reply.status(created ? 201 : 200).send(chat);
    },
  );

  http.get(
    '/api/v1/chats',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'My chats with their last message and unread count',
        response: { 200: ChatListResponse },
      },
    },
    async (request) => ({ chats: await chats.list(principalOf(request).userId) }),
  );

  http.get(
    '/api/v1/chats/:id',
    { schema: { tags: TAGS, security: BEARER, params: ChatIdParams, response: { 200: ChatSchema } } },
    async (request) => chats.get(principalOf(request).userId, request.params.id),
  );

  http.patch(
    '/api/v1/chats/:id',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Rename or describe a group or channel (owner and admins)',
        params: ChatIdParams,
        body: UpdateChatBody,
        response: { 200: ChatSchema },
      },
    },
    async (request) => chats.update(principalOf(request).userId, request.params.id, request.body),
  );

  http.post(
    '/api/v1/chats/:id/members',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Add a member to a group or channel (owner and admins)',
        params: ChatIdParams,
        body: AddMemberBody,
        response: { 200: ChatSchema },
      },
    },
    async (request) => members.add(principalOf(request).userId, request.params.id, request.body.userId),
  );

  http.delete(
    '/api/v1/chats/:id/members/:userId',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Remove a member (owner: anyone; admins: members; yourself: leave)',
        params: MemberParams,
        response: NoContent,
      },
    },
    async (request, reply) => {
      await members.remove(principalOf(request).userId, request.params.id, request.params.userId);
      return reply.status(204).send(null);
    },
  );

  http.post(
    '/api/v1/chats/:id/members/:userId/role',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Make a member an admin or an admin a member (owner only)',
        params: MemberParams,
        body: SetRoleBody,
        response: { 200: ChatSchema },
      },
    },
    async (request) =>
      members.setRole(principalOf(request).userId, request.params.id, request.params.userId, request.body.role),
  );

  http.post(
    '/api/v1/chats/:id/join',
    {
      schema: { tags: TAGS, security: BEARER, summary: 'Subscribe to a channel', params: ChatIdParams, response: { 200: ChatSchema } },
    },
    async (request) => members.join(principalOf(request).userId, request.params.id),
  );

  http.post(
    '/api/v1/chats/:id/leave',
    {
      schema: { tags: TAGS, security: BEARER, summary: 'Leave a group or channel', params: ChatIdParams, response: NoContent },
    },
    async (request, reply) => {
      await members.leave(principalOf(request).userId, request.params.id);
      return reply.status(204).send(null);
    },
  );
}
