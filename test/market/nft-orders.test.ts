import { randomUUID } from 'node:crypto';
import { getAddress, parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MarketTables } from '../../packages/server/src/modules/market/market-tables.js';
import { ChainKeys } from '../../packages/server/src/modules/wallet/chains/chain-keys.js';
import type { ChainTables } from '../../packages/server/src/modules/wallet/chains/chain-tables.js';
import { EvmChain } from '../../packages/server/src/modules/wallet/chains/evm-chain.js';
import { EvmNftCustody } from '../../packages/server/src/modules/wallet/chains/evm-nft.js';
import { call } from '../identity/identity-http.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { type LocalChain, startAnvil } from '../support/anvil.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { evmEnv } from '../wallet/chain-fixtures.js';
import { depositFor } from '../wallet/wallet-fixtures.js';
import { approve, gql, gqlOk, newAdmin } from './market-client.js';
import { deployTestNft } from './nft-contract.js';
import { SAGA_TIMINGS } from './saga-fixtures.js';

const PRICE = 5_000_000n;

async function custodialAddress(server: TestServer, user: RegisteredUser): Promise<string> {
  const reply = await call<{ address: string }>(server, 'GET', '/api/v1/wallet/deposit-address?asset=ETH', { token: user.accessToken });
  expect(reply.status).toBe(200);
  return getAddress(reply.body.address);
}

describe('NFT listings and orders (ERC-721 on anvil)', () => {
  let chain: LocalChain;
  let server: TestServer;
  let admin: RegisteredUser;
  let evm: EvmChain;
  let custody: EvmNftCustody;
  let contract: string;
  let mint: (to: string, tokenId: bigint) => Promise<void>;

  beforeAll(async () => {
    chain = await startAnvil();
    // The chain scanner stays idle: the gas sent to a seller's custodial address would otherwise be credited as a deposit at some scan mid-test, and the balances below count only the sale.
    server = await startTestServer({ env: { ...SAGA_TIMINGS, ...evmEnv(chain, 1, { KAIF_WALLET_CHAIN_POLL_MS: '3600000' }) } });
    admin = await newAdmin(server);
    const nft = await deployTestNft(chain.funder);
    contract = await nft.getAddress();
    mint = async (to, tokenId) => {
      await (await nft.getFunction('mint')(to, tokenId)).wait();
    };
    evm = new EvmChain('ETH', chain.chainId, chain.url, server.adapters.policyFor('chain:eth'));
    custody = new EvmNftCustody(evm, await ChainKeys.load(server.adapters.db.kysely<ChainTables>(), server.adapters.secrets, 'evm'));
  }, 60_000);
  afterAll(async () => {
    evm?.destroy();
    await server?.stop();
    await chain?.stop();
  });

  /** A seller whose custodial wallet holds the token (and a little ETH for gas), with the token listed and approved. */
  async function listedToken(tokenId: bigint) {
    const seller = await registerUser(server);
    await gqlOk(server, seller.accessToken, 'mutation { openStore(storeName: "Cats on chain") { id } }');
    const address = await custodialAddress(server, seller);
    await mint(address, tokenId);
    await chain.send(address, parseEther('0.01'));
    const listed = await gqlOk<{ listNft: { id: string; kind: string; stock: number; nft: { contract: string; tokenId: string } } }>(
      server,
      seller.accessToken,
      'mutation ($i: NftListingInput!) { listNft(input: $i) { id kind stock nft { chain contract tokenId } } }',
      { i: { chain: 'ETH', contract, tokenId: tokenId.toString(), title: `Cat #${tokenId}`, description: 'A cat on chain', category: 'nft', asset: 'ETH', price: PRICE.toString() } },
    );
    expect(listed.listNft).toMatchObject({ kind: 'NFT', stock: 1, nft: { contract: contract.toLowerCase(), tokenId: tokenId.toString() } });
    await approve(server, admin.accessToken, listed.listNft.id);
    return { seller, address, listingId: listed.listNft.id };
  }

  async function buyer(funds: bigint) {
    const user = await registerUser(server);
    await depositFor(server.service('wallet'), user.user.id, 'ETH', funds);
    return user;
  }

  async function buy(user: RegisteredUser, listingId: string) {
    const reply = await gqlOk<{ placeOrder: { id: string } }>(server, user.accessToken, 'mutation ($l: ID!, $k: String!) { placeOrder(listingId: $l, requestKey: $k) { id state } }', {
      l: listingId,
      k: randomUUID(),
    });
    return reply.placeOrder.id;
  }

  async function settled(orderId: string) {
    const db = server.adapters.db.kysely<MarketTables>();
    const deadline = Date.now() + 8_000;
    for (;;) {
      const order = await db.selectFrom('market.orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
      if (['completed', 'failed', 'cancelled'].includes(order.state) || Date.now() > deadline) {
        const steps = await db.selectFrom('market.order_steps').select(['step', 'outcome']).where('order_id', '=', orderId).orderBy('at').execute();
        return { order, steps: steps.map((step) => `${step.step}:${step.outcome}`) };
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('refuses to list a token the seller does not hold', async () => {
    const seller = await registerUser(server);
    await gqlOk(server, seller.accessToken, 'mutation { openStore(storeName: "Not mine") { id } }');
    await mint(chain.funder.address, 900n);
    const reply = await gql(server, seller.accessToken, 'mutation ($i: NftListingInput!) { listNft(input: $i) { id } }', {
      i: { chain: 'ETH', contract, tokenId: '900', title: 'Not mine', description: 'x', category: 'nft', asset: 'ETH', price: '1' },
    });
    expect(reply.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    const missing = await gql(server, seller.accessToken, 'mutation ($i: NftListingInput!) { listNft(input: $i) { id } }', {
      i: { chain: 'ETH', contract, tokenId: '901', title: 'No such token', description: 'x', category: 'nft', asset: 'ETH', price: '1' },
    });
    expect(missing.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
  });

  it('a bought NFT moves on chain to the buyer, then the seller is paid', async () => {
    const { seller, listingId } = await listedToken(1n);
    const alice = await buyer(PRICE * 2n);
    const orderId = await buy(alice, listingId);
    const { order, steps } = await settled(orderId);
    expect(order.state).toBe('completed');
    expect(steps).toEqual(['reserve_stock:done', 'hold_escrow:done', 'sign_transfer:done', 'nft_transfer:done', 'release_escrow:done']);
    expect(order.nft_tx_hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await custody.ownerOf(contract, 1n)).toBe(await custodialAddress(server, alice));
    const wallet = server.service('wallet');
    expect(await wallet.balance(seller.user.id, 'ETH')).toBe(PRICE);
    expect(await wallet.balance(alice.user.id, 'ETH')).toBe(PRICE);
    // The seller cannot "ship" an NFT order by hand.
    const ship = await gql(server, seller.accessToken, 'mutation ($id: ID!) { shipOrder(id: $id) { id } }', { id: orderId });
    expect(ship.errors?.[0]?.extensions?.code).toBe('ORDER_STATE_CONFLICT');
    const check = await wallet.reconcile();
    expect(check.balanceMismatches).toEqual([]);
    expect(check.unbalancedTransactions).toEqual([]);
    expect(check.negativeAccounts).toEqual([]);
  });

  it('a transfer that reverts on chain (the token left the wallet) refunds the buyer and fails the order', async () => {
    const { seller, address, listingId } = await listedToken(2n);
    // After listing, the token leaves the seller's custodial address.
    const index = (await server.adapters.db.kysely<ChainTables>().selectFrom('wallet.deposit_addresses').select('derivation_index').where('user_id', '=', seller.user.id).executeTakeFirstOrThrow())
      .derivation_index;
    const away = await custody.signTransfer({ derivationIndex: index, contract, to: '0x000000000000000000000000000000000000dEaD', tokenId: 2n });
    await custody.broadcast(away.raw);
    await chain.mine(1);
    expect(await custody.ownerOf(contract, 2n)).not.toBe(address);

    const bob = await buyer(PRICE);
    const orderId = await buy(bob, listingId);
    const { order, steps } = await settled(orderId);
    expect(order.state).toBe('failed');
    expect(order.reason).toBe('the NFT transfer failed on chain');
    expect(steps).toEqual(['reserve_stock:done', 'hold_escrow:done', 'sign_transfer:done', 'nft_transfer:failed', 'refund_escrow:done', 'compensated:done']);
    expect((await custody.outcome(order.nft_tx_hash!))?.state).toBe('reverted');
    const wallet = server.service('wallet');
    expect(await wallet.balance(bob.user.id, 'ETH')).toBe(PRICE);
    expect(await wallet.balance(seller.user.id, 'ETH')).toBe(0n);
    const holds = await wallet.escrowHoldsByReference(`market:order:${orderId}`);
    expect(holds.map((hold) => hold.state)).toEqual(['refunded']);
    // The token is gone: the listing is not for sale again.
    const listing = await server.adapters.db.kysely<MarketTables>().selectFrom('market.listings').select('stock').where('id', '=', listingId).executeTakeFirstOrThrow();
    expect(listing.stock).toBe(0);
    const check = await wallet.reconcile();
    expect(check.balanceMismatches).toEqual([]);
    expect(check.unbalancedTransactions).toEqual([]);
    expect(check.negativeAccounts).toEqual([]);
  });
});
