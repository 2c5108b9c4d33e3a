import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { AssetRegistry } from '../../packages/server/src/modules/wallet/assets.js';
import { reconcileLedger } from '../../packages/server/src/modules/wallet/ledger.js';
import { WalletService } from '../../packages/server/src/modules/wallet/wallet-service.js';
import type { WalletTables } from '../../packages/server/src/modules/wallet/wallet-tables.js';
import type { Database } from '../../packages/server/src/platform/db/database.js';
import { openPgliteDatabase } from '../../packages/server/src/platform/db/pglite-database.js';
import { openPostgresDatabase } from '../../packages/server/src/platform/db/postgres-database.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { createDependencyPolicy } from '../../packages/server/src/platform/resilience/dependency-policy.js';
import { registerUser } from '../support/accounts.js';
import { ENGINE_URLS, type ScratchDatabase, createScratchDatabase, engineAvailable, scratchPrefix } from '../support/engines.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';

const SENDERS = 12;
const KILLS = 2;
const FUNDS = 1_000_000n;

interface TransferReply {
  readonly transfer: { readonly id: string; readonly chatId: string | null; readonly messageId: string | null };
}

type Engine = 'pglite' | 'postgres';
const ENGINES: Engine[] = [
  'pglite',
  ...(engineAvailable('postgres') && engineAvailable('redis') && engineAvailable('nats') ? (['postgres'] as const) : []),
];

/**
 * Opens the node's database from the test process (never over HTTP): to
 * fund the sender as a confirmed deposit would, and to reconcile the ledger
 * at the end. PGlite on disk has one owner, so the node is killed first.
 */
async function openDirect(engine: Engine, location: string): Promise<Database> {
  if (engine === 'pglite') return openPgliteDatabase({ dataDir: location });
  const logger = createLogger('silent');
  const registry = new Registry();
  return openPostgresDatabase({ url: location, poolSize: 2, policy: createDependencyPolicy('postgres', { logger, registry }), logger, registry });
}

async function withWallet<T>(engine: Engine, location: string, work: (wallet: WalletService) => Promise<T>): Promise<T> {
  const db = await openDirect(engine, location);
  try {
    return await work(new WalletService(db.kysely<WalletTables>(), AssetRegistry.fromConfig('ETH,TON', undefined)));
  } finally {
    await db.close();
  }
}

for (const engine of ENGINES) {
  /**
   * Transfers under kill -9: senders keep sending 1 wei each (half of them
   * as chat messages) while the node is killed several times; each sender
   * retries a transfer with its idempotency key until it is acknowledged.
   * Every acknowledged transfer must exist once, with the id its ack gave;
   * retried keys never move money twice; every chat transfer has exactly one
   * message; and the ledger's invariants hold.
   */
  describe(`kill -9 in the middle of wallet transfers (${engine})`, () => {
    let node: ServerProcess | undefined;
    let dataDir: string | undefined;
    let scratch: ScratchDatabase | undefined;
    afterAll(async () => {
      await node?.kill();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
      await scratch?.drop();
    });

    it(`loses no acknowledged transfer and moves none twice across ${KILLS} kills`, { timeout: 240_000 }, async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'kaif-kill9-wallet-'));
      scratch = engine === 'postgres' ? await createScratchDatabase() : undefined;
      const location = scratch?.url ?? join(dataDir, 'pglite');
      node = await startServerProcess({
        KAIF_DATA_DIR: dataDir,
        KAIF_RATE_LIMIT_PER_MINUTE: '1000000',
        // A node on PostgreSQL must have the shared bus and store too.
        ...(scratch ? { DATABASE_URL: scratch.url, REDIS_URL: ENGINE_URLS.redis!, KAIF_REDIS_PREFIX: scratchPrefix(), NATS_URL: ENGINE_URLS.nats! } : {}),
      });
      const [alice, bob] = [await registerUser(node), await registerUser(node)];
      const chat = await fetch(`${node.url}/api/v1/chats`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.accessToken}` },
        body: JSON.stringify({ type: 'direct', memberIds: [bob.user.id] }),
      });
      const chatId = ((await chat.json()) as { id: string }).id;
      // PGlite on disk has one owner: the node goes (by kill -9 too) while the test opens its database.
      if (engine === 'pglite') await node.kill();
      await withWallet(engine, location, (wallet) =>
        wallet.post({
          idempotencyKey: 'kill9-funding',
          kind: 'deposit',
          actor: { kind: 'system', id: 'test-faucet' },
          postings: [
            { account: { platform: 'chain_clearing' }, asset: 'ETH', amount: -FUNDS },
            { account: { user: alice.user.id }, asset: 'ETH', amount: FUNDS },
          ],
        }),
      );
      if (engine === 'pglite') await node.restart();

      // The access token outlives the test (15 minutes); the kills end no session.
      const token = alice.accessToken;
      const acked = new Map<string, TransferReply['transfer']>();
      let stop = false;
      const sendUntilAcked = async (key: string, inChat: boolean) => {
        for (;;) {
          try {
            const response = await fetch(`${node!.url}/api/v1/wallet/transfers`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body: JSON.stringify({ toUserId: bob.user.id, asset: 'ETH', amount: '1', idempotencyKey: key, ...(inChat ? { chatId } : {}) }),
              signal: AbortSignal.timeout(5_000),
            });
            if (response.status === 201) {
              acked.set(key, ((await response.json()) as TransferReply).transfer);
              return;
            }
            await response.body?.cancel();
          } catch {
            // Killed mid-request, or down: retry the same key.
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      const senders = Array.from({ length: SENDERS }, async (_, sender) => {
        for (let index = 0; !stop; index++) await sendUntilAcked(`s${sender}-${index}`, sender % 2 === 0);
      });
      for (let kill = 0; kill < KILLS; kill++) {
        const before = acked.size;
        await expect.poll(() => acked.size, { timeout: 60_000, interval: 50 }).toBeGreaterThan(before + 40);
        await node.kill();
        await new Promise((resolve) => setTimeout(resolve, 300));
        await node.restart();
      }
      await expect.poll(() => acked.size, { timeout: 60_000, interval: 50 }).toBeGreaterThan(KILLS * 40 + 20);
      stop = true;
      await Promise.all(senders);

      // Every acknowledged key, retried once more: the same transfer, no money moved.
      for (const [key, transfer] of acked) {
        const again = await fetch(`${node.url}/api/v1/wallet/transfers`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ toUserId: bob.user.id, asset: 'ETH', amount: '1', idempotencyKey: key, ...(transfer.chatId ? { chatId } : {}) }),
        });
        expect(((await again.json()) as TransferReply).transfer, key).toEqual(transfer);
      }
      const stored = new Map<string, number>();
      for (let before: string | undefined; ; ) {
        const response = await fetch(`${node.url}/api/v1/wallet/transfers?limit=200${before ? `&before=${before}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
        const { transfers } = (await response.json()) as { transfers: { id: string }[] };
        if (transfers.length === 0) break;
        for (const transfer of transfers) stored.set(transfer.id, (stored.get(transfer.id) ?? 0) + 1);
        before = transfers.at(-1)!.id;
      }
      for (const [key, transfer] of acked) expect(stored.get(transfer.id), key).toBe(1);
      // Only keys that were sent can exist, and each once: at most one in flight per sender when it stopped.
      expect(stored.size).toBe(acked.size);

      const shown = new Map<string, number>();
      for (let after = 0; ; ) {
        const response = await fetch(`${node.url}/api/v1/chats/${chatId}/messages?after=${after}&limit=100`, { headers: { authorization: `Bearer ${token}` } });
        const { messages } = (await response.json()) as { messages: { seq: number; transfer?: { id: string } }[] };
        if (messages.length === 0) break;
        for (const message of messages) if (message.transfer) shown.set(message.transfer.id, (shown.get(message.transfer.id) ?? 0) + 1);
        after = messages.at(-1)!.seq;
      }
      const chatTransfers = [...acked.values()].filter((transfer) => transfer.chatId !== null);
      expect(chatTransfers.length).toBeGreaterThan(0);
      for (const transfer of chatTransfers) expect(shown.get(transfer.id), transfer.id).toBe(1);
      expect(shown.size).toBe(chatTransfers.length);

      const balances = async (user: typeof alice) => {
        const response = await fetch(`${node!.url}/api/v1/wallet`, { headers: { authorization: `Bearer ${user.accessToken}` } });
        return ((await response.json()) as { balances: { asset: string; amount: string }[] }).balances.find((b) => b.asset === 'ETH')!.amount;
      };
      expect(await balances(alice)).toBe((FUNDS - BigInt(acked.size)).toString());
      expect(await balances(bob)).toBe(String(acked.size));
      // PGlite on disk has one owner: the node goes (by kill -9 too) while the test opens its database.
      if (engine === 'pglite') await node.kill();
      const check = await withWallet(engine, location, (wallet) => reconcileLedger(wallet.db));
      expect(check).toMatchObject({ ok: true, balanceMismatches: [], unbalancedTransactions: [], negativeAccounts: [] });
      expect(check.heldByAsset.ETH).toBe(FUNDS.toString());
    });
  });
}
