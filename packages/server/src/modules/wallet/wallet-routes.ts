import { AuditListSchema, AuditQuery, WalletHistoryQuery, WalletHistorySchema, WalletSchema } from '@kaif/protocol';
import { sql } from 'kysely';
import type { HttpServer } from '../../platform/http/http-server.js';
import { adminOf, principalOf } from '../../platform/http/principal.js';
import { queryAudit } from './audit-log.js';
import { accountKey } from './ledger.js';
import type { WalletService } from './wallet-service.js';

const TAGS = ['wallet'];
const BEARER = [{ bearer: [] }];

/** Balances, the caller's ledger history, and the admins' audit log. */
export function registerWalletRoutes(http: HttpServer, wallet: WalletService): void {
  http.get(
    '/api/v1/wallet',
    { schema: { tags: TAGS, security: BEARER, summary: 'The caller’s balance of every enabled asset, in smallest units', response: { 200: WalletSchema } } },
    async (request) => {
      const { userId } = principalOf(request);
      const balances = await wallet.balances(userId);
      return {
        balances: balances.map((balance) => ({ asset: balance.asset, amount: balance.amount.toString() })),
        assets: wallet.assets.enabled.map((asset) => ({ asset: asset.code, name: asset.name, decimals: asset.decimals })),
      };
    },
  );

  http.get(
    '/api/v1/wallet/history',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Every movement of the caller’s money, newest first: transfers, deposits, withdrawals, escrow and trades',
        querystring: WalletHistoryQuery,
        response: { 200: WalletHistorySchema },
      },
    },
    async (request) => {
      const { userId } = principalOf(request);
      const { asset, before, limit = 50 } = request.query;
      let query = wallet.db
        .selectFrom('wallet.postings as p')
        .innerJoin('wallet.transactions as t', 't.id', 'p.transaction_id')
        .select(['p.transaction_id', 'p.seq', 'p.asset', 't.kind', 't.metadata', 't.created_at', sql<string>`sum(p.amount)::text`.as('amount')])
        .where('p.account', '=', accountKey({ user: userId }))
        .groupBy(['p.transaction_id', 'p.seq', 'p.asset', 't.kind', 't.metadata', 't.created_at'])
        .orderBy('p.seq', 'desc')
        .limit(limit);
      if (asset !== undefined) query = query.where('p.asset', '=', asset);
      if (before !== undefined) query = query.where('p.seq', '<', before);
      const rows = await query.execute();
      return {
        entries: rows.map((row) => ({
          transactionId: row.transaction_id,
          cursor: String(row.seq),
          kind: row.kind,
          asset: row.asset,
          amount: row.amount,
          createdAt: new Date(row.created_at).toISOString(),
          metadata: (typeof row.metadata === 'string' ? JSON.parse(row.metadata) : row.metadata) as Record<string, unknown>,
        })),
      };
    },
  );

  http.get(
    '/api/v1/admin/wallet/audit',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Admins: the wallet audit log, newest first (who did what, when, from which session, with what outcome)',
        querystring: AuditQuery,
        response: { 200: AuditListSchema },
      },
    },
    async (request) => {
      adminOf(request);
      const { userId, action, before, limit = 100 } = request.query;
      return { entries: await queryAudit(wallet.db, { userId, action, before, limit }) };
    },
  );
}
