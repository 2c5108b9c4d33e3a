import { TradeIdParams, TransferBody, TransferCreatedSchema, TransferHistoryQuery, TransferHistorySchema, TransferSchema, type TransferView } from '@kaif/protocol';
import type { HttpServer } from '../../platform/http/http-server.js';
import { KaifError } from '../../platform/http/kaif-error.js';
import { principalOf } from '../../platform/http/principal.js';
import type { Transfer } from './api.js';
import { parsePositiveAmount } from './assets.js';
import type { TransferService } from './transfer-service.js';

const TAGS = ['wallet'];
const BEARER = [{ bearer: [] }];

export const transferView = (transfer: Transfer): TransferView => ({
  id: transfer.id,
  fromUserId: transfer.fromUserId,
  toUserId: transfer.toUserId,
  asset: transfer.asset,
  amount: transfer.amount.toString(),
  chatId: transfer.chatId,
  messageId: transfer.messageId,
  createdAt: transfer.createdAt.toISOString(),
});

/** API.md "Wallet": send money to another user (optionally as a message in a chat), and the caller's transfers. */
export function registerTransferRoutes(http: HttpServer, transfers: TransferService): void {
  http.post(
    '/api/v1/wallet/transfers',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary:
          'Send an amount to another user at once (a ledger move, free); with chatId also a `transfer` message in that chat. The same idempotencyKey again → the same transfer; short of funds → 409 INSUFFICIENT_FUNDS',
        body: TransferBody,
        response: { 201: TransferCreatedSchema },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const amount = parsePositiveAmount(request.body.amount);
      if (amount === undefined) throw new KaifError('AMOUNT_INVALID', undefined, { field: 'amount' });
      const transfer = await transfers.transfer({
        fromUserId: principal.userId,
        toUserId: request.body.toUserId,
        asset: request.body.asset,
        amount,
        idempotencyKey: request.body.idempotencyKey,
        ...(request.body.chatId ? { chatId: request.body.chatId } : {}),
        actor: { kind: 'user', id: principal.userId, sessionId: principal.sessionId },
      });
      return reply.status(201).send({ transfer: transferView(transfer) });
    },
  );

  http.get(
    '/api/v1/wallet/transfers',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'The caller’s transfers, sent and received, newest first (`before` = the last id of the previous page)',
        querystring: TransferHistoryQuery,
        response: { 200: TransferHistorySchema },
      },
    },
    async (request) => {
      const { userId } = principalOf(request);
      const { asset, before, limit = 50 } = request.query;
      const page = await transfers.history(userId, { ...(asset ? { asset } : {}), ...(before ? { before } : {}), limit });
      return { transfers: page.map(transferView) };
    },
  );

  http.get(
    '/api/v1/wallet/transfers/:id',
    { schema: { tags: TAGS, security: BEARER, summary: 'One of the caller’s transfers', params: TradeIdParams, response: { 200: TransferSchema } } },
    async (request) => {
      const { userId } = principalOf(request);
      return transferView(await transfers.get(userId, request.params.id));
    },
  );
}
