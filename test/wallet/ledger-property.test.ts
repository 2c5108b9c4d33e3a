import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssetRegistry } from '../../packages/server/src/modules/wallet/assets.js';
import { TradeService } from '../../packages/server/src/modules/wallet/trade-service.js';
import { WalletService } from '../../packages/server/src/modules/wallet/wallet-service.js';
import { type WalletTables, walletMigrations } from '../../packages/server/src/modules/wallet/wallet-tables.js';
import type { Database } from '../../packages/server/src/platform/db/database.js';
import { openPostgresDatabase } from '../../packages/server/src/platform/db/postgres-database.js';
import { KaifError } from '../../packages/server/src/platform/http/kaif-error.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { platformMigrations } from '../../packages/server/src/platform/outbox/outbox-tables.js';
import { createDependencyPolicy } from '../../packages/server/src/platform/resilience/dependency-policy.js';
import { type ScratchDatabase, createScratchDatabase, engineAvailable } from '../support/engines.js';
import { openMigratedPglite } from '../support/pglite-template.js';

const USERS = 4;
const ASSETS = ['ETH', 'TON'] as const;
const asset = fc.constantFrom(...ASSETS);
const user = fc.nat(USERS - 1);
const amount = fc.bigInt({ min: 1n, max: 60n });

/**
 * Every kind of money movement, including ones that must fail: overdrafts
 * (amounts up to 60 against deposits up to 100), settling a hold twice, a
 * repeated idempotency key, and a caller transaction that fails after a
 * successful wallet call (an injected failure: the move must vanish).
 */
const operation = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('deposit' as const), user, asset, amount: fc.bigInt({ min: 1n, max: 100n }) }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('transfer' as const), from: user, to: user, asset, amount }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('replay' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('hold' as const), user, asset, amount }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat(), to: user }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('refund' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('withdraw' as const), user, asset, amount, outcome: fc.constantFrom('settle', 'fail', 'pending') }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('offer' as const), seller: user, buyer: user, swap: fc.boolean(), end: fc.constantFrom('confirm', 'cancel', 'expire') }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('failing-caller' as const), user, asset, amount }), weight: 2 },
);
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

class InjectedFailure extends Error {}

/** The refusals a generated operation may meet; anything else fails the property. */
const EXPECTED = new Set(['INSUFFICIENT_FUNDS', 'ESCROW_HOLD_SETTLED', 'TRANSFER_TO_SELF', 'TRADE_FORBIDDEN', 'TRADE_STATE_CONFLICT']);

function engines(): { name: string; open: () => Promise<{ db: Database; scratch?: ScratchDatabase }> }[] {
  const list: { name: string; open: () => Promise<{ db: Database; scratch?: ScratchDatabase }> }[] = [
    { name: 'pglite', open: async () => ({ db: await openMigratedPglite() }) },
  ];
  if (engineAvailable('postgres')) {
    list.push({
      name: 'postgres',
      open: async () => {
        const scratch = await createScratchDatabase();
        const logger = createLogger('silent');
        const registry = new Registry();
        const db = await openPostgresDatabase({ url: scratch.url, poolSize: 8, policy: createDependencyPolicy('postgres', { logger, registry }), logger, registry });
        await db.migrate([platformMigrations, walletMigrations]);
        return { db, scratch };
      },
    });
  }
  return list;
}

for (const engine of engines()) {
  describe(`ledger invariants under concurrent interleavings (property, ${engine.name})`, () => {
    let db: Database;
    let scratch: ScratchDatabase | undefined;
    let wallet: WalletService;
    let trades: TradeService;

    beforeAll(async () => {
      ({ db, scratch } = await engine.open());
      wallet = new WalletService(db.kysely<WalletTables>(), new AssetRegistry(AssetRegistry.fromConfig('ETH,TON', undefined).enabled));
      // Trades taken here expire at once, so the `expire` ending has work.
      trades = new TradeService(wallet, () => 0, createLogger('silent'));
    }, 60_000);
    afterAll(async () => {
      await db?.close();
      await scratch?.drop();
    });

    /** Plays one operation; returns the amount it moved on or off platform (deposits +, settled withdrawals −) per asset. */
    async function play(operation: Operation, users: readonly string[], keys: [string, string][], holds: string[]): Promise<[string, bigint] | undefined> {
      const actor = { kind: 'system', id: 'property' } as const;
      switch (operation.op) {
        case 'deposit': {
          await wallet.post({
            idempotencyKey: `deposit:${randomUUID()}`,
            kind: 'deposit',
            actor,
            postings: [
              { account: { platform: 'chain_clearing' }, asset: operation.asset, amount: -operation.amount },
              { account: { user: users[operation.user]! }, asset: operation.asset, amount: operation.amount },
            ],
          });
          return [operation.asset, operation.amount];
        }
        case 'transfer': {
          if (operation.from === operation.to) throw new KaifError('TRANSFER_TO_SELF');
          const key = `transfer:${randomUUID()}`;
          const command = {
            idempotencyKey: key,
            kind: 'transfer',
            actor,
            postings: [
              { account: { user: users[operation.from]! }, asset: operation.asset, amount: -operation.amount },
              { account: { user: users[operation.to]! }, asset: operation.asset, amount: operation.amount },
            ],
          };
          keys.push([key, JSON.stringify(command, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))]);
          await wallet.post(command);
          return undefined;
        }
        case 'replay': {
          if (keys.length === 0) return undefined;
          const [, text] = keys[operation.pick % keys.length]!;
          const command = JSON.parse(text, (_k, v) => (typeof v === 'string' && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v));
          await wallet.post(command);
          return undefined;
        }
        case 'hold': {
          const hold = await wallet.holdEscrow({ userId: users[operation.user]!, asset: operation.asset, amount: operation.amount, idempotencyKey: randomUUID(), reference: 'property' });
          holds.push(hold.id);
          return undefined;
        }
        case 'release': {
          if (holds.length === 0) return undefined;
          await wallet.releaseEscrow({ holdId: holds[operation.pick % holds.length]!, toUserId: users[operation.to]!, idempotencyKey: randomUUID() });
          return undefined;
        }
        case 'refund': {
          if (holds.length === 0) return undefined;
          await wallet.refundEscrow({ holdId: holds[operation.pick % holds.length]!, idempotencyKey: randomUUID() });
          return undefined;
        }
        case 'withdraw': {
          const id = randomUUID();
          const account = { user: users[operation.user]! };
          await wallet.post({
            idempotencyKey: `withdrawal.reserve:${id}`,
            kind: 'withdrawal.reserve',
            actor,
            postings: [
              { account, asset: operation.asset, amount: -operation.amount },
              { account: { platform: 'pending_withdrawals' }, asset: operation.asset, amount: operation.amount },
            ],
          });
          if (operation.outcome === 'pending') return undefined;
          const gas = operation.amount / 4n;
          const settle = operation.outcome === 'settle';
          await wallet.post({
            idempotencyKey: `withdrawal.${operation.outcome}:${id}`,
            kind: `withdrawal.${operation.outcome}`,
            actor,
            postings: settle
              ? [
                  { account: { platform: 'pending_withdrawals' }, asset: operation.asset, amount: -operation.amount },
                  { account: { platform: 'chain_clearing' }, asset: operation.asset, amount: operation.amount - gas },
                  ...(gas > 0n ? [{ account: { platform: 'fees' as const }, asset: operation.asset, amount: gas }] : []),
                ]
              : [
                  { account: { platform: 'pending_withdrawals' }, asset: operation.asset, amount: -operation.amount },
                  { account, asset: operation.asset, amount: operation.amount },
                ],
          });
          return settle ? [operation.asset, -(operation.amount - gas)] : undefined;
        }
        case 'offer': {
          const seller = users[operation.seller]!;
          const buyer = users[operation.buyer]!;
          const offer = await trades.createOffer({
            sellerId: seller,
            sellAsset: 'TON',
            sellAmount: 3n,
            ...(operation.swap ? { priceAsset: 'ETH', priceAmount: 2n } : {}),
            idempotencyKey: randomUUID(),
            actor,
          });
          const trade = await trades.take(buyer, offer.id, randomUUID(), actor);
          if (operation.swap) return undefined;
          if (operation.end === 'confirm') await trades.confirm(seller, trade.id, actor);
          else if (operation.end === 'cancel') await trades.cancel(buyer, trade.id, actor);
          else await trades.expire();
          return undefined;
        }
        case 'failing-caller': {
          // A caller combines a hold with its own work, which then fails: nothing may remain.
          await db
            .kysely<unknown>()
            .transaction()
            .execute(async (trx) => {
              await wallet.holdEscrow(
                { userId: users[operation.user]!, asset: operation.asset, amount: operation.amount, idempotencyKey: randomUUID(), reference: 'failing' },
                trx,
              );
              throw new InjectedFailure('the caller’s own write failed');
            });
          return undefined;
        }
      }
    }

    it('keeps every transaction balanced, no balance negative, every balance equal to its postings, and the money held equal to deposits less withdrawals', async () => {
      const heldBefore = new Map<string, bigint>();
      const initial = await wallet.reconcile();
      for (const a of ASSETS) heldBefore.set(a, BigInt(initial.heldByAsset[a] ?? '0'));
      const flows = new Map<string, bigint>(ASSETS.map((a) => [a, 0n]));
      const seen = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(operation, { minLength: 1, maxLength: 6 }), { minLength: 3, maxLength: 8 }), async (rounds) => {
          const users = Array.from({ length: USERS }, () => randomUUID());
          const keys: [string, string][] = [];
          const holds: string[] = [];
          // Everyone starts with some of each asset, so most moves can succeed and some overdraw.
          for (const userIndex of users.keys()) {
            for (const a of ASSETS) {
              const [, moved] = (await play({ op: 'deposit', user: userIndex, asset: a, amount: 80n }, users, keys, holds))!;
              flows.set(a, flows.get(a)! + moved);
            }
          }
          // Random amounts overdraw only now and then; one move per run that no balance can cover
          // (more than every deposit of the run together) makes sure the refusal runs, beside the last round's moves.
          const overdraw: Operation = { op: 'transfer', from: 0, to: 1, asset: ASSETS[0]!, amount: 1_000_000n };
          for (const round of [...rounds.slice(0, -1), [...rounds.at(-1)!, overdraw]]) {
            // Each round's operations run at once: their transactions interleave on PostgreSQL's pool.
            const outcomes = await Promise.allSettled(round.map((op) => play(op, users, keys, holds)));
            for (const [index, outcome] of outcomes.entries()) {
              const tally = `${round[index]!.op}:${outcome.status === 'fulfilled' ? 'ok' : ((outcome.reason as { code?: string }).code ?? 'failed')}`;
              seen.set(tally, (seen.get(tally) ?? 0) + 1);
              if (outcome.status === 'fulfilled') {
                if (outcome.value) flows.set(outcome.value[0], flows.get(outcome.value[0])! + outcome.value[1]);
                continue;
              }
              const error = outcome.reason as unknown;
              if (error instanceof InjectedFailure) continue;
              if (error instanceof KaifError && EXPECTED.has(error.code)) continue;
              throw error;
            }
          }
          const check = await wallet.reconcile();
          expect(check.unbalancedTransactions).toEqual([]);
          expect(check.negativeAccounts).toEqual([]);
          expect(check.balanceMismatches).toEqual([]);
          for (const a of ASSETS) {
            expect(BigInt(check.sumsByAsset[a] ?? '0')).toBe(0n);
            expect(BigInt(check.heldByAsset[a] ?? '0')).toBe(heldBefore.get(a)! + flows.get(a)!);
          }
          const leftovers = await db
            .kysely<WalletTables>()
            .selectFrom('wallet.escrow_holds')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('reference', '=', 'failing')
            .executeTakeFirstOrThrow();
          expect(Number(leftovers.n)).toBe(0);
        }),
        { numRuns: engine.name === 'pglite' ? 25 : 20 },
      );
      if (process.env.KAIF_TEST_VERBOSE) console.log(engine.name, Object.fromEntries(seen));
      // The runs did exercise each kind of move, and the refusals that guard the invariants.
      for (const tally of ['deposit:ok', 'transfer:ok', 'transfer:INSUFFICIENT_FUNDS', 'replay:ok', 'hold:ok', 'release:ok', 'refund:ok', 'withdraw:ok', 'offer:ok']) {
        expect(seen.get(tally) ?? 0, tally).toBeGreaterThan(0);
      }
      expect([...seen.keys()].some((tally) => tally.endsWith(':ESCROW_HOLD_SETTLED'))).toBe(true);
    }, 240_000);
  });
}
