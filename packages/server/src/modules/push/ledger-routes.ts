import { type ChatId, PushLedgerParams, PushLedgerSchema } from '@kaif/protocol';
import type { HttpServer } from '../../platform/http/http-server.js';
import { adminOf } from '../../platform/http/principal.js';
import type { PushServices } from './push-services.js';

/** An admin reads where one message stands on every recipient device (while the ledger keeps it). */
export function registerLedgerRoutes(http: HttpServer, services: PushServices): void {
  http.get(
    '/api/v1/admin/push/messages/:chatId/:seq',
    {
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        summary: 'The push delivery ledger of one message: each recipient device and the state it reached',
        params: PushLedgerParams,
        response: { 200: PushLedgerSchema },
      },
    },
    async (request) => {
      adminOf(request);
      const { chatId, seq } = request.params;
      const deliveries = /^[0-9a-f-]{36}$/i.test(chatId) ? await services.ledger.forMessage(chatId as ChatId, seq) : [];
      return { chatId: chatId as ChatId, seq, deliveries };
    },
  );
}
