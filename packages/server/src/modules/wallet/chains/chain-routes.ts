import {
  DepositAddressQuery,
  DepositAddressSchema,
  WithdrawalBody,
  WithdrawalCreatedSchema,
  WithdrawalListSchema,
} from '@kaif/protocol';
import { Type } from '@sinclair/typebox';
import type { HttpServer } from '../../../platform/http/http-server.js';
import { adminOf, principalOf } from '../../../platform/http/principal.js';
import type { ChainServices } from './chain-services.js';

const TAGS = ['wallet'];
const BEARER = [{ bearer: [] }];

/** Deposit addresses, withdrawals, and the admins' view of the hot wallets. */
export function registerChainRoutes(http: HttpServer, chains: ChainServices): void {
  http.get(
    '/api/v1/wallet/deposit-address',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'The caller’s own deposit address for an asset (credited after the configured confirmations)',
        querystring: DepositAddressQuery,
        response: { 200: DepositAddressSchema },
      },
    },
    async (request) => chains.depositAddress(principalOf(request).userId, request.query.asset),
  );

  http.post(
    '/api/v1/wallet/withdrawals',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Withdraw to an address on chain: amount plus fee reserved at once, broadcast by the worker; idempotent by key; a TOTP code when 2FA is on',
        body: WithdrawalBody,
        response: { 200: WithdrawalCreatedSchema, 201: WithdrawalCreatedSchema },
      },
    },
    async (request, reply) => {
      const { withdrawal, created } = await chains.withdrawals.request(principalOf(request), request.body);
      reply.code(created ? 201 : 200);
      return { withdrawal };
    },
  );

  http.get(
    '/api/v1/wallet/withdrawals',
    { schema: { tags: TAGS, security: BEARER, summary: 'The caller’s withdrawals, newest first', response: { 200: WithdrawalListSchema } } },
    async (request) => ({ withdrawals: await chains.withdrawals.list(principalOf(request).userId) }),
  );

  http.get(
    '/api/v1/wallet/withdrawals/:id',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'One of the caller’s withdrawals (WITHDRAWAL_NOT_FOUND for anyone else’s)',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: WithdrawalCreatedSchema },
      },
    },
    async (request) => ({ withdrawal: await chains.withdrawals.get(principalOf(request).userId, request.params.id) }),
  );

  http.get(
    '/api/v1/admin/wallet/hot-wallets',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Admins: each chain’s hot wallet address (fund it for withdrawals) and its balance on chain (null when the chain is unreachable)',
        response: {
          200: Type.Object({
            hotWallets: Type.Array(Type.Object({ asset: Type.String(), address: Type.String(), balance: Type.Union([Type.String(), Type.Null()]) })),
          }),
        },
      },
    },
    async (request) => {
      adminOf(request);
      return { hotWallets: await chains.hotWallets() };
    },
  );

  http.get(
    '/api/v1/admin/wallet/chain-reconciliation',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Admins: per asset, what the ledger holds for users against what the platform’s addresses hold on chain (surplus = the operator’s float)',
        response: {
          200: Type.Object({
            assets: Type.Array(Type.Object({ asset: Type.String(), ledgerHeld: Type.String(), onChain: Type.String(), surplus: Type.String() })),
          }),
        },
      },
    },
    async (request) => {
      adminOf(request);
      return { assets: await chains.reconcileWithChain() };
    },
  );
}
