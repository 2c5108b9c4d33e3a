import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULES } from '../../packages/server/src/modules/index.js';
import type { WalletApi } from '../../packages/server/src/modules/wallet/api.js';
import { createWalletModule } from '../../packages/server/src/modules/wallet/wallet-module.js';
import { ENGINE_SETS, call, newAdmin } from '../identity/identity-http.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { depositFor } from './wallet-fixtures.js';

interface Trade {
  id: string;
  state: string;
  sellerId: string;
  buyerId: string;
  resolution: string | null;
  expiresAt: string;
}
interface Failure {
  error: { code: string };
}

/** A trade left unconfirmed is refunded after this (KAIF_WALLET_TRADE_TIMEOUT_SECONDS). */
const TIMEOUT_SECONDS = 2;

for (const engines of ENGINE_SETS) {
  describe(`P2P trades (${engines})`, () => {
    let server: TestServer;
    let wallet: WalletApi;
    let seller: RegisteredUser;
    let buyer: RegisteredUser;
    let adminToken: string;

    const offer = async (body: Record<string, unknown>) => {
      const reply = await call<{ id: string; state: string }>(server, 'POST', '/api/v1/wallet/offers', { token: seller.accessToken, body });
      expect(reply.status).toBe(201);
      return reply.body;
    };
    const take = (offerId: string, key: string, who = buyer) =>
      call<Trade & Failure>(server, 'POST', `/api/v1/wallet/offers/${offerId}/take`, { token: who.accessToken, body: { idempotencyKey: key } });
    const step = (tradeId: string, name: string, who: RegisteredUser) => call<Trade & Failure>(server, 'POST', `/api/v1/wallet/trades/${tradeId}/${name}`, { token: who.accessToken });
    const balance = (user: RegisteredUser, asset: string) => wallet.balance(user.user.id, asset);

    beforeAll(async () => {
      server = await startTestServer({
        engines,
        env: { KAIF_WALLET_TRADE_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS) },
        modules: MODULES.map((module) => (module.name === 'wallet' ? createWalletModule({ sweepEveryMs: 200 }) : module)),
      });
      wallet = server.service('wallet');
      [seller, buyer] = await Promise.all([registerUser(server), registerUser(server)]);
      adminToken = await newAdmin(server);
      await depositFor(wallet, seller.user.id, 'TON', 1000n);
      await depositFor(wallet, buyer.user.id, 'ETH', 1000n);
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
    });

    it('asset for asset: taking the offer swaps both sides at once, once', async () => {
      const created = await offer({ sellAsset: 'TON', sellAmount: '100', priceAsset: 'ETH', priceAmount: '40', idempotencyKey: 'swap-1' });
      expect((await offer({ sellAsset: 'TON', sellAmount: '100', priceAsset: 'ETH', priceAmount: '40', idempotencyKey: 'swap-1' })).id).toBe(created.id);
      const listed = await call<{ offers: { id: string }[] }>(server, 'GET', '/api/v1/wallet/offers', { token: buyer.accessToken });
      expect(listed.body.offers.map((o) => o.id)).toContain(created.id);
      const own = await take(created.id, 'mine', seller);
      expect(own.body.error.code).toBe('TRADE_FORBIDDEN');
      const trade = await take(created.id, 'take-swap-1');
      expect(trade.status).toBe(201);
      expect(trade.body.state).toBe('released');
      expect((await take(created.id, 'take-swap-1')).body.id).toBe(trade.body.id);
      expect((await take(created.id, 'take-swap-2')).body.error.code).toBe('TRADE_STATE_CONFLICT');
      expect([await balance(seller, 'TON'), await balance(seller, 'ETH'), await balance(buyer, 'TON'), await balance(buyer, 'ETH')]).toEqual([900n, 40n, 100n, 960n]);
    });

    it('off-platform payment: taking locks the seller’s amount; the seller’s confirmation releases it to the buyer', async () => {
      const created = await offer({ sellAsset: 'TON', sellAmount: '200', paymentTerms: 'bank transfer', idempotencyKey: 'fiat-1' });
      const trade = await take(created.id, 'take-fiat-1');
      expect(trade.body.state).toBe('awaiting_payment');
      expect(await balance(seller, 'TON')).toBe(700n);
      expect((await step(trade.body.id, 'confirm', buyer)).body.error.code).toBe('TRADE_FORBIDDEN');
      expect((await step(trade.body.id, 'paid', buyer)).body.state).toBe('awaiting_payment');
      const confirmed = await step(trade.body.id, 'confirm', seller);
      expect(confirmed.body.state).toBe('released');
      expect(await balance(buyer, 'TON')).toBe(300n);
      expect((await step(trade.body.id, 'cancel', buyer)).body.error.code).toBe('TRADE_STATE_CONFLICT');
      expect(await balance(seller, 'TON')).toBe(700n);
    });

    it('the buyer cancels: the seller gets the escrow back', async () => {
      const created = await offer({ sellAsset: 'TON', sellAmount: '50', idempotencyKey: 'fiat-2' });
      const trade = await take(created.id, 'take-fiat-2');
      expect(await balance(seller, 'TON')).toBe(650n);
      expect((await step(trade.body.id, 'cancel', seller)).body.error.code).toBe('TRADE_FORBIDDEN');
      expect((await step(trade.body.id, 'cancel', buyer)).body.state).toBe('cancelled');
      expect(await balance(seller, 'TON')).toBe(700n);
      expect((await step(trade.body.id, 'confirm', seller)).body.error.code).toBe('TRADE_STATE_CONFLICT');
    });

    it('no confirmation before the timeout: the worker refunds the seller', async () => {
      const created = await offer({ sellAsset: 'TON', sellAmount: '70', idempotencyKey: 'fiat-3' });
      const trade = await take(created.id, 'take-fiat-3');
      expect(await balance(seller, 'TON')).toBe(630n);
      const deadline = Date.now() + (TIMEOUT_SECONDS + 8) * 1000;
      let state = trade.body.state;
      while (state === 'awaiting_payment' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        state = (await call<Trade>(server, 'GET', `/api/v1/wallet/trades/${trade.body.id}`, { token: buyer.accessToken })).body.state;
      }
      expect(state).toBe('refunded');
      expect(await balance(seller, 'TON')).toBe(700n);
      expect(await balance(buyer, 'TON')).toBe(300n);
      expect((await step(trade.body.id, 'confirm', seller)).body.error.code).toBe('TRADE_STATE_CONFLICT');
    });

    it('a dispute stops the clock until an admin resolves it', async () => {
      const created = await offer({ sellAsset: 'TON', sellAmount: '30', idempotencyKey: 'fiat-4' });
      const trade = await take(created.id, 'take-fiat-4');
      const disputed = await step(trade.body.id, 'dispute', buyer);
      expect(disputed.body.state).toBe('disputed');
      // Past the timeout, a disputed trade stays put.
      await new Promise((resolve) => setTimeout(resolve, (TIMEOUT_SECONDS + 1) * 1000));
      expect((await call<Trade>(server, 'GET', `/api/v1/wallet/trades/${trade.body.id}`, { token: seller.accessToken })).body.state).toBe('disputed');
      expect(await balance(seller, 'TON')).toBe(670n);
      const notAdmin = await call(server, 'POST', `/api/v1/admin/wallet/trades/${trade.body.id}/resolve`, { token: seller.accessToken, body: { outcome: 'refund' } });
      expect(notAdmin.status).toBe(403);
      const resolved = await call<Trade>(server, 'POST', `/api/v1/admin/wallet/trades/${trade.body.id}/resolve`, {
        token: adminToken,
        body: { outcome: 'release', note: 'bank statement shown' },
      });
      expect(resolved.body).toMatchObject({ state: 'released', resolution: expect.stringContaining('bank statement shown') });
      expect(await balance(buyer, 'TON')).toBe(330n);
      const again = await call<Failure>(server, 'POST', `/api/v1/admin/wallet/trades/${trade.body.id}/resolve`, { token: adminToken, body: { outcome: 'refund' } });
      expect(again.body.error.code).toBe('TRADE_STATE_CONFLICT');
    });

    it('the DEX swap quote is a seam that says it is not configured', async () => {
      const reply = await call<Failure>(server, 'GET', '/api/v1/wallet/swap/quote?from=ETH&to=TON&amount=1000', { token: buyer.accessToken });
      expect(reply.status).toBe(501);
      expect(reply.body.error.code).toBe('SWAP_NOT_CONFIGURED');
    });

    it('the ledger holds together after every trade', async () => {
      expect(await wallet.reconcile()).toMatchObject({ ok: true });
      const mine = await call<{ trades: Trade[] }>(server, 'GET', '/api/v1/wallet/trades', { token: seller.accessToken });
      expect(mine.body.trades.map((trade) => trade.state).sort()).toEqual(['cancelled', 'refunded', 'released', 'released', 'released']);
    });
  });
}
