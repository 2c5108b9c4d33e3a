import { ChatIdParams, DeviceQuery, MessageSchema, SecretWelcomeList, SendSecretMessageBody, WelcomeParams } from '@kaif/protocol';
import { Type } from '@sinclair/typebox';
import type { HttpServer } from '../../platform/http/http-server.js';
import { principalOf } from '../../platform/http/principal.js';
import { BEARER } from './chat-routes.js';
import type { SecretService } from './secret-service.js';

const TAGS = ['secret chats'];

/** Secret chats over HTTP: MLS messages into the log, and each device's Welcome inbox. */
export function registerSecretRoutes(http: HttpServer, secret: SecretService): void {
  http.post(
    '/api/v1/chats/:id/secret-messages',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary:
          'Send an MLS message (application, commit or proposal) into a secret chat; a commit not built on the current epoch ' +
          'is 409 EPOCH_CONFLICT; the same clientMsgId again returns the first message, 200',
        params: ChatIdParams,
        body: SendSecretMessageBody,
        response: { 200: MessageSchema, 201: MessageSchema },
      },
    },
    async (request, reply) => {
      const { message, created } = await secret.send(principalOf(request).userId, request.params.id, request.body);
      return reply.status(created ? 201 : 200).send(message);
    },
  );

  http.get(
    '/api/v1/secret/welcomes',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'The MLS Welcomes waiting for this device (only the session that registered it may read them)',
        querystring: DeviceQuery,
        response: { 200: SecretWelcomeList },
      },
    },
    async (request) => {
      const { userId, sessionId } = principalOf(request);
      return { welcomes: await secret.welcomes(userId, sessionId, request.query.deviceId) };
    },
  );

  http.delete(
    '/api/v1/secret/welcomes/:welcomeId',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Drop a Welcome the device has used',
        params: WelcomeParams,
        querystring: DeviceQuery,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { userId, sessionId } = principalOf(request);
      await secret.dismissWelcome(userId, sessionId, request.query.deviceId, request.params.welcomeId);
      return reply.status(204).send(null);
    },
  );
}
