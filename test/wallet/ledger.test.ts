import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WalletApi } from '../../packages/server/src/modules/wallet/api.js';
import { ENGINE_SETS, call } from '../identity/identity-http.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { ETH, depositFor } from './wallet-fixtures.js';

for (const engines of ENGINE_SETS) {
  describe(`wallet ledger seam (${engines})`, () => {
    let server: TestServer;
    let wallet: WalletApi;
    let alice: RegisteredUser;
    let bob: RegisteredUser;

    beforeAll(async () => {
      server = await startTestServer({ engines, env: { KAIF_WALLET_ASSETS: 'ETH,TON,BNB' } });
      wallet = server.service('wallet');
      [alice, bob] = await Promise.all([registerUser(server), registerUser(server)]);
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
    });

    it('shows a zero balance for every enabled asset, then a deposit credited through the seam', async () => {
      const before = await call<{ balances: { asset: string; amount: string }[]; assets: { asset: string; decimals: number }[] }>(server, 'GET', '/api/v1/wallet', {
        token: alice.accessToken,
      });
      expect(before.status).toBe(200);
      expect(before.body.balances).toEqual([
        { asset: 'ETH', amount: '0' },
        { asset: 'TON', amount: '0' },
        { asset: 'BNB', amount: '0' },
      ]);
      expect(before.body.assets.map((asset) => [asset.asset, asset.decimals])).toEqual([
        ['ETH', 18],
        ['TON', 9],
        ['BNB', 18],
      ]);
      await depositFor(wallet, alice.user.id, 'ETH', 2n * ETH);
      const after = await call<{ balances: { asset: string; amount: string }[] }>(server, 'GET', '/api/v1/wallet', { token: alice.accessToken });
      expect(after.body.balances[0]).toEqual({ asset: 'ETH', amount: (2n * ETH).toString() });
    });

    it('posts a repeated idempotency key once and answers with the first transaction', async () => {
      const first = await depositFor(wallet, bob.user.id, 'TON', 5_000_000_000n, 'seam-repeat-1');
      const second = await depositFor(wallet, bob.user.id, 'TON', 5_000_000_000n, 'seam-repeat-1');
      expect(second.replayed).toBe(true);
      expect(second.transaction.id).toBe(first.transaction.id);
      expect(await wallet.balance(bob.user.id, 'TON')).toBe(5_000_000_000n);
      await expect(depositFor(wallet, bob.user.id, 'TON', 7n, 'seam-repeat-1')).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    });

    it('refuses unbalanced postings, unknown assets and overdrafts, moving nothing', async () => {
      await expect(
        wallet.post({
          idempotencyKey: 'seam-unbalanced',
          kind: 'deposit',
          actor: { kind: 'system', id: 'test' },
          postings: [
            { account: { platform: 'chain_clearing' }, asset: 'ETH', amount: -5n },
            { account: { user: bob.user.id }, asset: 'ETH', amount: 6n },
          ],
        }),
      ).rejects.toMatchObject({ code: 'LEDGER_UNBALANCED' });
      await expect(depositFor(wallet, bob.user.id, 'DOGE', 1n)).rejects.toMatchObject({ code: 'ASSET_NOT_ENABLED' });
      await expect(
        wallet.post({
          idempotencyKey: 'seam-overdraft',
          kind: 'withdrawal.reserve',
          actor: { kind: 'user', id: bob.user.id },
          postings: [
            { account: { user: bob.user.id }, asset: 'ETH', amount: -1n },
            { account: { platform: 'pending_withdrawals' }, asset: 'ETH', amount: 1n },
          ],
        }),
      ).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS', status: 409 });
      expect(await wallet.balance(bob.user.id, 'ETH')).toBe(0n);
      expect(await wallet.findTransaction('seam-overdraft')).toBeUndefined();
      // The key of a refused command is free: the same command succeeds once funded.
      await depositFor(wallet, bob.user.id, 'ETH', 1n);
      const retried = await wallet.post({
        idempotencyKey: 'seam-overdraft',
        kind: 'withdrawal.reserve',
        actor: { kind: 'user', id: bob.user.id },
        postings: [
          { account: { user: bob.user.id }, asset: 'ETH', amount: -1n },
          { account: { platform: 'pending_withdrawals' }, asset: 'ETH', amount: 1n },
        ],
      });
      expect(retried.replayed).toBe(false);
      expect(await wallet.balance(bob.user.id, 'ETH')).toBe(0n);
    });

    it('escrow: a hold is released or refunded exactly once, each step idempotent', async () => {
      await depositFor(wallet, alice.user.id, 'TON', 10n);
      const hold = await wallet.holdEscrow({ userId: alice.user.id, asset: 'TON', amount: 4n, idempotencyKey: 'order-1-hold', reference: 'market:order:1' });
      expect(hold.state).toBe('held');
      expect(await wallet.holdEscrow({ userId: alice.user.id, asset: 'TON', amount: 4n, idempotencyKey: 'order-1-hold', reference: 'market:order:1' })).toEqual(hold);
      expect(await wallet.balance(alice.user.id, 'TON')).toBe(6n);
      const released = await wallet.releaseEscrow({ holdId: hold.id, toUserId: bob.user.id, idempotencyKey: 'order-1-release' });
      expect(released).toMatchObject({ state: 'released', settledToUserId: bob.user.id });
      expect(await wallet.releaseEscrow({ holdId: hold.id, toUserId: bob.user.id, idempotencyKey: 'order-1-release' })).toEqual(released);
      await expect(wallet.refundEscrow({ holdId: hold.id, idempotencyKey: 'order-1-refund' })).rejects.toMatchObject({ code: 'ESCROW_HOLD_SETTLED' });
      await expect(wallet.releaseEscrow({ holdId: hold.id, toUserId: bob.user.id, idempotencyKey: 'order-1-release-again' })).rejects.toMatchObject({
        code: 'ESCROW_HOLD_SETTLED',
      });
      expect(await wallet.balance(bob.user.id, 'TON')).toBe(5_000_000_004n);

      const second = await wallet.holdEscrow({ userId: alice.user.id, asset: 'TON', amount: 6n, idempotencyKey: 'order-2-hold', reference: 'market:order:2' });
      await expect(wallet.holdEscrow({ userId: alice.user.id, asset: 'TON', amount: 1n, idempotencyKey: 'order-3-hold', reference: 'market:order:3' })).rejects.toMatchObject({
        code: 'INSUFFICIENT_FUNDS',
      });
      const refunded = await wallet.refundEscrow({ holdId: second.id, idempotencyKey: 'order-2-refund' });
      expect(refunded).toMatchObject({ state: 'refunded', settledToUserId: alice.user.id });
      expect(await wallet.balance(alice.user.id, 'TON')).toBe(6n);
      expect((await wallet.escrowHoldsByReference('market:order:2')).map((h) => h.state)).toEqual(['refunded']);
      await expect(wallet.refundEscrow({ holdId: '00000000-0000-4000-8000-000000000000', idempotencyKey: 'nope' })).rejects.toMatchObject({ code: 'ESCROW_HOLD_NOT_FOUND' });
    });

    it('two settlements of one hold racing: exactly one moves money', async () => {
      await depositFor(wallet, alice.user.id, 'BNB', 100n);
      const hold = await wallet.holdEscrow({ userId: alice.user.id, asset: 'BNB', amount: 100n, idempotencyKey: 'race-hold', reference: 'race' });
      const outcomes = await Promise.allSettled([
        wallet.releaseEscrow({ holdId: hold.id, toUserId: bob.user.id, idempotencyKey: 'race-release' }),
        wallet.refundEscrow({ holdId: hold.id, idempotencyKey: 'race-refund' }),
      ]);
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      expect((await wallet.balance(alice.user.id, 'BNB')) + (await wallet.balance(bob.user.id, 'BNB'))).toBe(100n);
    });

    it('a caller can combine a wallet move with its own writes in one transaction', async () => {
      const db = server.adapters.db.kysely<unknown>();
      await depositFor(wallet, bob.user.id, 'BNB', 10n);
      const before = await wallet.balance(bob.user.id, 'BNB');
      await expect(
        db.transaction().execute(async (trx) => {
          await wallet.holdEscrow({ userId: bob.user.id, asset: 'BNB', amount: 10n, idempotencyKey: 'combined-hold', reference: 'combined' }, trx);
          throw new Error('the caller’s own write failed');
        }),
      ).rejects.toThrow('the caller’s own write failed');
      expect(await wallet.balance(bob.user.id, 'BNB')).toBe(before);
      expect(await wallet.findTransaction('escrow.hold:combined-hold')).toBeUndefined();
    });

    it('balances recomputed from postings agree with the stored ones, and every asset sums to zero', async () => {
      const check = await wallet.reconcile();
      expect(check.balanceMismatches).toEqual([]);
      expect(check.unbalancedTransactions).toEqual([]);
      expect(check.negativeAccounts).toEqual([]);
      expect(check.ok).toBe(true);
      expect(BigInt(check.heldByAsset.ETH ?? '0')).toBe(2n * ETH + 1n);
    });
  });
}
