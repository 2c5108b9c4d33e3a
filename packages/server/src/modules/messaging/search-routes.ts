import { MessageSearchQuery, MessageSearchResponse } from '@kaif/protocol';
import type { HttpServer } from '../../platform/http/http-server.js';
import { principalOf } from '../../platform/http/principal.js';
import { BEARER } from './chat-routes.js';
import type { MessagingServices } from './messaging-services.js';

/** Message search over HTTP (API.md "Search"). */
export function registerSearchRoutes(http: HttpServer, services: MessagingServices): void {
  http.get(
    '/api/v1/search/messages',
    {
      schema: {
        tags: ['search'],
        security: BEARER,
        summary: 'Find messages in every chat the caller is in, best match first; Russian and English word forms, the last word also as a prefix',
        querystring: MessageSearchQuery,
        response: { 200: MessageSearchResponse },
      },
    },
    async (request) => services.search.search(principalOf(request).userId, request.query),
  );
}
