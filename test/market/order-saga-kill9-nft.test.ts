import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { getAddress, id, parseEther, toBeHex, zeroPadValue } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantAdmin } from '../../packages/server/src/modules/identity/accounts/grant-admin.js';
import type { IdentityTables } from '../../packages/server/src/modules/identity/identity-tables.js';
import { MODULES } from '../../packages/server/src/modules/index.js';
import type { MarketTables, OrderState } from '../../packages/server/src/modules/market/market-tables.js';
import { ChainKeys } from '../../packages/server/src/modules/wallet/chains/chain-keys.js';
import type { ChainTables } from '../../packages/server/src/modules/wallet/chains/chain-tables.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { type RunningServer, startServer } from '../../packages/server/src/server.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { type LocalChain, startAnvil } from '../support/anvil.js';
import { ENGINE_URLS, type ScratchDatabase, createScratchDatabase, engineAvailable, scratchPrefix } from '../support/engines.js';
import { testConfig } from '../support/test-server.js';
import { evmEnv } from '../wallet/chain-fixtures.js';
import { depositFor } from '../wallet/wallet-fixtures.js';
import { approve, gql, gqlOk } from './market-client.js';
import { deployTestNft } from './nft-contract.js';
import { type Child, spawnChild } from './saga-process.js';

const TIMINGS = {
  KAIF_MARKET_SHIP_TIMEOUT_MS: '600000',
  KAIF_MARKET_RECEIPT_TIMEOUT_MS: '600000',
  KAIF_MARKET_SAGA_POLL_MS: '50',
  KAIF_MARKET_SAGA_LEASE_MS: '300',
};
const PRICE = parseEther('0.001');
const FUNDS = parseEther('0.005');
const TOKEN = 7n;
/** The ERC-721 Transfer event. */
const TRANSFER_TOPIC = id('Transfer(address,address,uint256)');

/**
 * kill -9 of real server processes (`saga-child.ts`) at each step of an NFT
 * order whose seller's custodial address holds no ETH: after the transfer
 * and the hot wallet's gas top-up are signed and stored but before either
 * is sent; after the top-up is sent, before it is recorded; after it is
 * recorded, before the transfer is sent; after the transfer is sent, before
 * its receipt is recorded; after the receipt is recorded, before the
 * release. Each next process, on the same
 * database and chain, resumes the order. The chain must hold exactly one
 * top-up and one transfer, the token the buyer's, the seller paid once
 * (less the gas), the buyer charged once, the ledger balanced.
 */
describe.skipIf(!(engineAvailable('postgres') && engineAvailable('redis') && engineAvailable('nats')))('NFT order saga across kill -9 at the chain steps', () => {
  let chain: LocalChain;
  let scratch: ScratchDatabase;
  let reader: RunningServer;
  let shared: Record<string, string>;
  let child: Child | undefined;
  let miner: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    chain = await startAnvil();
    scratch = await createScratchDatabase();
    shared = {
      DATABASE_URL: scratch.url,
      REDIS_URL: ENGINE_URLS.redis!,
      KAIF_REDIS_PREFIX: scratchPrefix(),
      NATS_URL: ENGINE_URLS.nats!,
      ...TIMINGS,
      ...evmEnv(chain, 2),
    };
    reader = await startServer({
      config: testConfig(shared),
      roles: new Set(['api']),
      logger: createLogger('warn', new Writable({ write: (_chunk, _encoding, done) => done() })),
      modules: MODULES,
    });
  }, 120_000);
  afterAll(async () => {
    clearInterval(miner);
    await child?.kill();
    await reader?.stop();
    await scratch?.drop();
    await chain?.stop();
  });

  it('resumes one NFT order through six processes, five killed at its chain steps, with one top-up, one transfer and one payment', async () => {
    const db = reader.adapters.db.kysely<MarketTables>();
    const order = (orderId: string) => db.selectFrom('market.orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
    const steps = async (orderId: string) => (await db.selectFrom('market.order_steps').select('step').where('order_id', '=', orderId).execute()).map((row) => row.step).sort();
    const crashedThenRestart = async (next: string | null, whileDown?: () => Promise<void>) => {
      expect(await Promise.race([child!.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 30_000))])).toBe('SIGKILL');
      await whileDown?.();
      child = await spawnChild(shared, next);
    };
    const receipt = (hash: string) => chain.provider.getTransactionReceipt(hash);
    const addressOf = async (user: RegisteredUser) => {
      const reply = await fetch(`${child!.url}/api/v1/wallet/deposit-address?asset=ETH`, { headers: { authorization: `Bearer ${user.accessToken}` } });
      expect(reply.status).toBe(200);
      return getAddress(((await reply.json()) as { address: string }).address);
    };

    // The platform's hot wallet holds ETH (the operator funded it); the seller's custodial address holds none.
    const keys = await ChainKeys.load(reader.adapters.db.kysely<ChainTables>(), reader.adapters.secrets, 'evm');
    const hotWallet = getAddress(keys.evmHotWalletAddress());
    await chain.send(hotWallet, parseEther('1'));
    const nft = await deployTestNft(chain.funder);
    const contract = await nft.getAddress();

    child = await spawnChild(shared, 'record:sign_transfer');
    const adminUser = await registerUser(child);
    await grantAdmin(reader.adapters.db.kysely<IdentityTables>(), adminUser.user.username);
    const login = (await (
      await fetch(`${child.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: adminUser.user.username, password: adminUser.password }) })
    ).json()) as { accessToken: string };
    const seller = await registerUser(child);
    await gqlOk(child, seller.accessToken, 'mutation { openStore(storeName: "Cats on chain") { id } }');
    const sellerAddress = await addressOf(seller);
    await (await nft.getFunction('mint')(sellerAddress, TOKEN)).wait();
    const listed = await gqlOk<{ listNft: { id: string } }>(child, seller.accessToken, 'mutation ($i: NftListingInput!) { listNft(input: $i) { id } }', {
      i: { chain: 'ETH', contract, tokenId: TOKEN.toString(), title: 'Cat #7', description: 'A cat on chain', category: 'nft', asset: 'ETH', price: PRICE.toString() },
    });
    await approve(child, login.accessToken, listed.listNft.id);
    const buyer = await registerUser(child);
    const buyerAddress = await addressOf(buyer);
    await depositFor(reader.service('wallet'), buyer.user.id, 'ETH', FUNDS);
    expect(await chain.provider.getBalance(sellerAddress)).toBe(0n);
    // Blocks keep coming (2 confirmations count a transaction), as on a live chain.
    miner = setInterval(() => void chain.mine(1).catch(() => undefined), 250);

    // 1: placeOrder signs the transfer and the top-up, stores both, and the process dies before sending either.
    await gql(child, buyer.accessToken, 'mutation ($l: ID!, $k: String!) { placeOrder(listingId: $l, requestKey: $k) { id } }', { l: listed.listNft.id, k: randomUUID() }).catch(() => undefined);
    const [placed] = await db.selectFrom('market.orders').select('id').where('listing_id', '=', listed.listNft.id).execute();
    const orderId = placed!.id;
    await crashedThenRestart('effect:send_gas', async () => {
      const row = await order(orderId);
      expect(row.state).toBe('transferring');
      expect(row.nft_gas_tx_hash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(await receipt(row.nft_gas_tx_hash!)).toBeNull();
      expect(await receipt(row.nft_tx_hash!)).toBeNull();
    });
    const { nft_gas_tx_hash: topUpHash, nft_tx_hash: transferHash } = await order(orderId);
    // 2: the next process sends the stored top-up and dies before recording anything.
    await crashedThenRestart('record:fund_gas', async () => {
      expect(await receipt(topUpHash!)).not.toBeNull();
      expect(await steps(orderId)).not.toContain('fund_gas');
    });
    // 3: the top-up has its confirmations and is recorded; the process dies before sending the transfer.
    await crashedThenRestart('effect:send_transfer', async () => {
      expect(await steps(orderId)).toContain('fund_gas');
      expect(await receipt(transferHash!)).toBeNull();
    });
    // 4: the transfer is sent (and mined); the process dies before its receipt is recorded.
    await crashedThenRestart('record:nft_transfer', async () => {
      expect(await receipt(transferHash!)).not.toBeNull();
      expect((await order(orderId)).state).toBe('transferring');
    });
    // 5: the receipt with its confirmations is recorded; the process dies before the release (a crash inside the release is order-saga-kill9.test.ts's).
    await crashedThenRestart(null, async () => {
      expect((await order(orderId)).state).toBe('releasing');
      expect(await reader.service('wallet').balance(seller.user.id, 'ETH')).toBe(0n);
    });
    const deadline = Date.now() + 30_000;
    while ((await order(orderId)).state !== 'completed') {
      if (Date.now() > deadline) throw new Error(`order stayed ${(await order(orderId)).state}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // Exactly one top-up and one transfer on chain; the token is the buyer's.
    expect(await chain.provider.getTransactionCount(hotWallet, 'latest')).toBe(1);
    expect(await chain.provider.getTransactionCount(sellerAddress, 'latest')).toBe(1);
    const moves = await chain.provider.getLogs({ address: contract, topics: [TRANSFER_TOPIC, null, null, zeroPadValue(toBeHex(TOKEN), 32)], fromBlock: 0 });
    expect(moves).toHaveLength(2);
    expect(getAddress(`0x${moves[1]!.topics[2]!.slice(26)}`)).toBe(buyerAddress);
    expect(getAddress(await nft.getFunction('ownerOf')(TOKEN))).toBe(buyerAddress);

    // The seller paid once (less both gases), the buyer charged once, the ledger balanced.
    const topUp = (await receipt(topUpHash!))!;
    const transfer = (await receipt(transferHash!))!;
    const gas = topUp.gasUsed * topUp.gasPrice + transfer.gasUsed * transfer.gasPrice;
    const final = await order(orderId);
    expect(final.state satisfies OrderState).toBe('completed');
    expect(BigInt(final.nft_gas_cost!)).toBe(gas);
    const wallet = reader.service('wallet');
    expect(await wallet.balance(seller.user.id, 'ETH')).toBe(PRICE - gas);
    expect(await wallet.balance(buyer.user.id, 'ETH')).toBe(FUNDS - PRICE);
    expect((await wallet.escrowHoldsByReference(`market:order:${orderId}`)).map((hold) => hold.state)).toEqual(['released']);
    expect(await steps(orderId)).toEqual(['reserve_stock', 'hold_escrow', 'sign_transfer', 'fund_gas', 'nft_transfer', 'charge_gas', 'release_escrow'].sort());
    const check = await wallet.reconcile();
    expect(check.balanceMismatches).toEqual([]);
    expect(check.unbalancedTransactions).toEqual([]);
    expect(check.negativeAccounts).toEqual([]);
  }, 480_000);
});
