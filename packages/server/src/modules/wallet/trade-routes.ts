import {
  ResolveDisputeBody,
  SwapQuoteQuery,
  TakeOfferBody,
  TradeIdParams,
  TradeListSchema,
  TradeOfferBody,
  TradeOfferListSchema,
  TradeOfferSchema,
  TradeSchema,
} from '@kaif/protocol';
import { Type } from '@sinclair/typebox';
import type { HttpServer } from '../../platform/http/http-server.js';
import { KaifError } from '../../platform/http/kaif-error.js';
import { adminOf, principalOf } from '../../platform/http/principal.js';
import type { Principal } from '../../platform/http/principal.js';
import { parsePositiveAmount } from './assets.js';
import type { LedgerActor } from './ledger.js';
import type { SwapProvider } from './swap.js';
import { type TradeService, offerView, tradeView } from './trade-service.js';

const TAGS = ['wallet'];
const BEARER = [{ bearer: [] }];
const ListQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) }, { additionalProperties: false });

const actorOf = (principal: Principal): LedgerActor => ({ kind: principal.role === 'admin' ? 'admin' : 'user', id: principal.userId, sessionId: principal.sessionId });

function amountOf(value: string, field: string): bigint {
  const amount = parsePositiveAmount(value);
  if (amount === undefined) throw new KaifError('AMOUNT_INVALID', undefined, { field });
  return amount;
}

/** P2P trades (README.md "P2P trades") and the DEX swap seam. */
export function registerTradeRoutes(http: HttpServer, trades: TradeService, swap: SwapProvider): void {
  http.post(
    '/api/v1/wallet/offers',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Offer an amount of one asset for an amount of another (a swap), or for an off-platform payment you confirm',
        body: TradeOfferBody,
        response: { 201: TradeOfferSchema },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const body = request.body;
      const offer = await trades.createOffer({
        sellerId: principal.userId,
        sellAsset: body.sellAsset,
        sellAmount: amountOf(body.sellAmount, 'sellAmount'),
        ...(body.priceAsset !== undefined ? { priceAsset: body.priceAsset } : {}),
        ...(body.priceAmount !== undefined ? { priceAmount: amountOf(body.priceAmount, 'priceAmount') } : {}),
        ...(body.paymentTerms !== undefined ? { paymentTerms: body.paymentTerms } : {}),
        idempotencyKey: body.idempotencyKey,
        actor: actorOf(principal),
      });
      return reply.status(201).send(offerView(offer));
    },
  );

  http.get(
    '/api/v1/wallet/offers',
    { schema: { tags: TAGS, security: BEARER, summary: 'Open offers, newest first', querystring: ListQuery, response: { 200: TradeOfferListSchema } } },
    async (request) => {
      principalOf(request);
      return { offers: (await trades.listOpenOffers(request.query.limit ?? 50)).map(offerView) };
    },
  );

  http.delete(
    '/api/v1/wallet/offers/:id',
    { schema: { tags: TAGS, security: BEARER, summary: 'Withdraw your open offer', params: TradeIdParams, response: { 200: TradeOfferSchema } } },
    async (request) => {
      const principal = principalOf(request);
      return offerView(await trades.closeOffer(principal.userId, request.params.id, actorOf(principal)));
    },
  );

  http.post(
    '/api/v1/wallet/offers/:id/take',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Take an offer: a swap settles at once; an off-platform sale locks the seller’s amount in escrow until they confirm your payment',
        params: TradeIdParams,
        body: TakeOfferBody,
        response: { 201: TradeSchema },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const trade = await trades.take(principal.userId, request.params.id, request.body.idempotencyKey, actorOf(principal));
      return reply.status(201).send(tradeView(trade));
    },
  );

  http.get(
    '/api/v1/wallet/trades',
    { schema: { tags: TAGS, security: BEARER, summary: 'Your trades, as buyer or seller, newest first', querystring: ListQuery, response: { 200: TradeListSchema } } },
    async (request) => {
      const { userId } = principalOf(request);
      return { trades: (await trades.listMine(userId, request.query.limit ?? 50)).map(tradeView) };
    },
  );

  http.get(
    '/api/v1/wallet/trades/:id',
    { schema: { tags: TAGS, security: BEARER, summary: 'One of your trades', params: TradeIdParams, response: { 200: TradeSchema } } },
    async (request) => {
      const principal = principalOf(request);
      return tradeView(await trades.get(principal.role === 'admin' ? null : principal.userId, request.params.id));
    },
  );

  const steps = {
    paid: { summary: 'Buyer: say you paid (the seller still confirms)', run: trades.markPaid.bind(trades) },
    confirm: { summary: 'Seller: confirm the payment arrived; the escrow goes to the buyer', run: trades.confirm.bind(trades) },
    cancel: { summary: 'Buyer: back out; the escrow returns to the seller', run: trades.cancel.bind(trades) },
    dispute: { summary: 'Either party: stop the clock and ask an admin to decide', run: trades.dispute.bind(trades) },
  } as const;
  for (const [step, { summary, run }] of Object.entries(steps)) {
    http.post(
      `/api/v1/wallet/trades/:id/${step}`,
      { schema: { tags: TAGS, security: BEARER, summary, params: TradeIdParams, response: { 200: TradeSchema } } },
      async (request) => {
        const principal = principalOf(request);
        return tradeView(await run(principal.userId, request.params.id, actorOf(principal)));
      },
    );
  }

  http.post(
    '/api/v1/admin/wallet/trades/:id/resolve',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Admins: settle a disputed trade (release to the buyer or refund the seller)',
        params: TradeIdParams,
        body: ResolveDisputeBody,
        response: { 200: TradeSchema },
      },
    },
    async (request) => {
      const principal = adminOf(request);
      return tradeView(await trades.resolve(request.params.id, request.body.outcome, request.body.note, actorOf(principal)));
    },
  );

  http.get(
    '/api/v1/wallet/swap/quote',
    { schema: { tags: TAGS, security: BEARER, summary: 'DEX swap quote: 501 SWAP_NOT_CONFIGURED unless a swap provider is configured (a seam, see README)', querystring: SwapQuoteQuery } },
    async (request) => {
      principalOf(request);
      const amount = amountOf(request.query.amount, 'amount');
      const quote = await swap.quote({ from: request.query.from, to: request.query.to, amount });
      return { ...quote, amountIn: quote.amountIn.toString(), amountOut: quote.amountOut.toString() };
    },
  );
}
