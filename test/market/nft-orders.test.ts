import { randomUUID } from 'node:crypto';
import { Wallet, getAddress, parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MarketTables } from '../../packages/server/src/modules/market/market-tables.js';
import { ChainKeys, EVM_DEPOSIT_PATH } from '../../packages/server/src/modules/wallet/chains/chain-keys.js';
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

/** Above the gas of a transfer, which the seller pays out of the proceeds. */
const PRICE = parseEther('0.001');
/** ETH a seller's custodial address is given for gas: a deposit, credited to the seller. */
const SELLER_GAS = parseEther('0.01');
/** Blocks (its own included) before a transfer or a gas top-up counts: KAIF_WALLET_CONFIRMATIONS. */
const CONFIRMATIONS = 3;

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
  let keys: ChainKeys;
  let hotWallet: string;

  beforeAll(async () => {
    chain = await startAnvil();
    // The chain scanner runs: gas sent to a seller's custodial address is their deposit (listedToken waits for its credit), and a gas top-up must not be.
    server = await startTestServer({ env: { ...SAGA_TIMINGS, ...evmEnv(chain, CONFIRMATIONS, { KAIF_WALLET_CHAIN_POLL_MS: '100' }) } });
    admin = await newAdmin(server);
    const nft = await deployTestNft(chain.funder);
    contract = await nft.getAddress();
    mint = async (to, tokenId) => {
      await (await nft.getFunction('mint')(to, tokenId)).wait();
    };
    evm = new EvmChain('ETH', chain.chainId, chain.url, server.adapters.policyFor('chain:eth'));
    keys = await ChainKeys.load(server.adapters.db.kysely<ChainTables>(), server.adapters.secrets, 'evm');
    custody = new EvmNftCustody(evm, keys);
    // The platform's hot wallet (withdrawals, gas top-ups), funded by the operator.
    hotWallet = getAddress(keys.evmHotWalletAddress());
    await chain.send(hotWallet, parseEther('1'));
  }, 120_000);
  afterAll(async () => {
    evm?.destroy();
    await server?.stop();
    await chain?.stop();
  });

  /** A seller whose custodial wallet holds the token (and, unless `gas: false`, a little ETH for gas), with the token listed and approved. */
  async function listedToken(tokenId: bigint, options: { gas?: boolean } = {}) {
    const seller = await registerUser(server);
    await gqlOk(server, seller.accessToken, 'mutation { openStore(storeName: "Cats on chain") { id } }');
    const address = await custodialAddress(server, seller);
    await mint(address, tokenId);
    if (options.gas !== false) {
      await chain.send(address, SELLER_GAS);
      // It is the seller's deposit: wait until the watcher credits it, so balances below are exact.
      const deadline = Date.now() + 20_000;
      while ((await server.service('wallet').balance(seller.user.id, 'ETH')) !== SELLER_GAS) {
        if (Date.now() > deadline) throw new Error('the deposit for gas was not credited');
        await chain.mine(1);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const listed = await listNft(seller, tokenId);
    expect(listed.errors).toBeUndefined();
    const listing = listed.data!.listNft;
    expect(listing).toMatchObject({ kind: 'NFT', stock: 1, nft: { contract: contract.toLowerCase(), tokenId: tokenId.toString() } });
    await approve(server, admin.accessToken, listing.id);
    return { seller, address, listingId: listing.id };
  }

  function listNft(seller: RegisteredUser, tokenId: bigint) {
    return gql<{ listNft: { id: string; kind: string; stock: number; nft: { contract: string; tokenId: string } } }>(
      server,
      seller.accessToken,
      'mutation ($i: NftListingInput!) { listNft(input: $i) { id kind stock nft { chain contract tokenId } } }',
      { i: { chain: 'ETH', contract, tokenId: tokenId.toString(), title: `Cat #${tokenId}`, description: 'A cat on chain', category: 'nft', asset: 'ETH', price: PRICE.toString() } },
    );
  }

  async function derivationIndex(userId: string) {
    return (await server.adapters.db.kysely<ChainTables>().selectFrom('wallet.deposit_addresses').select('derivation_index').where('user_id', '=', userId).executeTakeFirstOrThrow())
      .derivation_index;
  }

  const orders = () => server.adapters.db.kysely<MarketTables>();
  const orderRow = (orderId: string) => orders().selectFrom('market.orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow();
  const stepsOf = async (orderId: string) =>
    (await orders().selectFrom('market.order_steps').select(['step', 'outcome']).where('order_id', '=', orderId).orderBy('at').execute()).map((step) => `${step.step}:${step.outcome}`);

  /** Polls (mining no blocks) until `done` holds for the order. */
  async function until(orderId: string, done: (order: Awaited<ReturnType<typeof orderRow>>) => boolean | Promise<boolean>) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const order = await orderRow(orderId);
      if (await done(order)) return order;
      if (Date.now() > deadline) throw new Error(`order ${orderId} stayed ${order.state}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function expectReconciled() {
    const check = await server.service('wallet').reconcile();
    expect(check.balanceMismatches).toEqual([]);
    expect(check.unbalancedTransactions).toEqual([]);
    expect(check.negativeAccounts).toEqual([]);
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

  /** Mines a block each poll (transfers need their confirmations) until the order is final. */
  async function settled(orderId: string) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const order = await orderRow(orderId);
      if (['completed', 'failed', 'cancelled'].includes(order.state) || Date.now() > deadline) return { order, steps: await stepsOf(orderId) };
      await chain.mine(1);
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
    const { order, steps: journal } = await settled(orderId);
    const steps = journal.sort();
    expect(order.state).toBe('completed');
    expect(steps).toEqual(['reserve_stock:done', 'hold_escrow:done', 'sign_transfer:done', 'nft_transfer:done', 'charge_gas:done', 'release_escrow:done'].sort());
    expect(order.nft_tx_hash).toMatch(/^0x[0-9a-f]{64}$/);
    // The seller's address held enough ETH for the gas: no top-up.
    expect(order.nft_gas_tx_hash).toBeNull();
    const gas = (await custody.outcome(order.nft_tx_hash!))!.gasCost;
    expect(BigInt(order.nft_gas_cost!)).toBe(gas);
    expect(await custody.ownerOf(contract, 1n)).toBe(await custodialAddress(server, alice));
    const wallet = server.service('wallet');
    // The seller is paid the price less the gas the transfer burned.
    expect(await wallet.balance(seller.user.id, 'ETH')).toBe(SELLER_GAS + PRICE - gas);
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
    const index = await derivationIndex(seller.user.id);
    const away = await custody.signTransfer({ derivationIndex: index, contract, to: '0x000000000000000000000000000000000000dEaD', tokenId: 2n });
    await custody.broadcast(away.raw);
    await chain.mine(1);
    expect(await custody.ownerOf(contract, 2n)).not.toBe(address);

    const bob = await buyer(PRICE);
    const orderId = await buy(bob, listingId);
    const { order, steps } = await settled(orderId);
    expect(order.state).toBe('failed');
    expect(order.reason).toBe('the NFT transfer failed on chain');
    expect(steps.sort()).toEqual(['reserve_stock:done', 'hold_escrow:done', 'sign_transfer:done', 'nft_transfer:failed', 'refund_escrow:done', 'charge_gas:done', 'compensated:done'].sort());
    expect((await custody.outcome(order.nft_tx_hash!))?.state).toBe('reverted');
    const wallet = server.service('wallet');
    expect(await wallet.balance(bob.user.id, 'ETH')).toBe(PRICE);
    // The gas the reverted transfer burned is the seller's (their token had left the wallet).
    expect(await wallet.balance(seller.user.id, 'ETH')).toBe(SELLER_GAS - (await custody.outcome(order.nft_tx_hash!))!.gasCost);
    const holds = await wallet.escrowHoldsByReference(`market:order:${orderId}`);
    expect(holds.map((hold) => hold.state)).toEqual(['refunded']);
    // The token is gone: the listing is not for sale again.
    const listing = await orders().selectFrom('market.listings').select(['stock', 'nft_closed_at']).where('id', '=', listingId).executeTakeFirstOrThrow();
    expect(listing.stock).toBe(0);
    expect(listing.nft_closed_at).not.toBeNull();
    await expectReconciled();
  });

  it('refuses a second active listing of one token, also when two listNft calls race, and allows one after a rejection', async () => {
    const { seller } = await listedToken(10n);
    const again = await listNft(seller, 10n);
    expect(again.errors?.[0]?.extensions?.code).toBe('LISTING_DUPLICATE');

    const racer = await registerUser(server);
    await gqlOk(server, racer.accessToken, 'mutation { openStore(storeName: "Racing cats") { id } }');
    await mint(await custodialAddress(server, racer), 11n);
    const both = await Promise.all([listNft(racer, 11n), listNft(racer, 11n), listNft(racer, 11n)]);
    expect(both.filter((reply) => reply.data?.listNft).length).toBe(1);
    expect(both.filter((reply) => !reply.data?.listNft).map((reply) => reply.errors?.[0]?.extensions?.code)).toEqual(['LISTING_DUPLICATE', 'LISTING_DUPLICATE']);
    const rows = await orders().selectFrom('market.listings').select('id').where('nft_contract', '=', contract.toLowerCase()).where('nft_token_id', '=', '11').execute();
    expect(rows).toHaveLength(1);

    // A rejected listing is no longer active: the token may be listed again.
    await gqlOk(server, admin.accessToken, 'mutation ($id: ID!) { moderateListing(id: $id, decision: REJECT, reason: "blurry") { id } }', { id: rows[0]!.id });
    const relisted = await listNft(racer, 11n);
    expect(relisted.errors).toBeUndefined();
  });

  it('tops up a seller address that holds no ETH from the hot wallet, sends the transfer only after N confirmations, and charges the seller the gas', async () => {
    const { seller, address, listingId } = await listedToken(20n, { gas: false });
    expect(await evm.balance(address)).toBe(0n);
    const hotBefore = await evm.balance(hotWallet);
    const carol = await buyer(PRICE);
    const orderId = await buy(carol, listingId);

    // The top-up is signed and stored with the transfer, sent, and mined (1 confirmation of 3): the transfer waits.
    const signed = await until(orderId, (order) => order.nft_gas_tx_hash !== null);
    expect(signed.state).toBe('transferring');
    await until(orderId, async () => (await evm.receipt(signed.nft_gas_tx_hash!)) !== undefined);
    expect(await evm.receipt(signed.nft_tx_hash!)).toBeUndefined();
    expect(await stepsOf(orderId)).not.toContain('fund_gas:done');
    await chain.mine(CONFIRMATIONS - 1);
    // Funded: now the transfer is sent and mined, and waits for its own confirmations.
    await until(orderId, async () => (await evm.receipt(signed.nft_tx_hash!)) !== undefined);
    expect(await stepsOf(orderId)).toContain('fund_gas:done');
    expect((await orderRow(orderId)).state).toBe('transferring');
    await chain.mine(CONFIRMATIONS - 1);
    const order = await until(orderId, (row) => row.state === 'completed');

    expect(await custody.ownerOf(contract, 20n)).toBe(await custodialAddress(server, carol));
    const topUp = (await evm.receipt(signed.nft_gas_tx_hash!))!;
    const transfer = (await evm.receipt(signed.nft_tx_hash!))!;
    const gas = topUp.gasUsed * topUp.effectiveGasPrice + transfer.gasUsed * transfer.effectiveGasPrice;
    expect(BigInt(order.nft_gas_cost!)).toBe(gas);
    // The hot wallet paid the top-up (value and its gas); the seller's address spent on the transfer's gas only.
    const topUpValue = (await chain.provider.getTransaction(signed.nft_gas_tx_hash!))!.value;
    expect(await evm.balance(hotWallet)).toBe(hotBefore - topUpValue - topUp.gasUsed * topUp.effectiveGasPrice);
    expect(await evm.balance(address)).toBe(topUpValue - transfer.gasUsed * transfer.effectiveGasPrice);
    // The seller pays both gases out of the proceeds (market.chain_gas: seller → chain_clearing).
    const wallet = server.service('wallet');
    expect(await wallet.balance(seller.user.id, 'ETH')).toBe(PRICE - gas);
    expect((await wallet.findTransaction(`order:${orderId}:gas`))?.kind).toBe('market.chain_gas');
    expect(await wallet.balance(carol.user.id, 'ETH')).toBe(0n);
    // The deposit watcher scanned past the top-up and did not take it for the seller's deposit.
    const chainDb = server.adapters.db.kysely<ChainTables>();
    const scanned = async () => BigInt((await chainDb.selectFrom('wallet.chain_cursors').select('block_number').where('asset', '=', 'ETH').executeTakeFirst())?.block_number ?? '0');
    await until(orderId, async () => (await scanned()) >= transfer.blockNumber);
    expect(await chainDb.selectFrom('wallet.chain_deposits').select('tx_hash').where('tx_hash', '=', signed.nft_gas_tx_hash!).execute()).toEqual([]);
    await expectReconciled();
  });

  it('a transfer whose block leaves the chain before N confirmations is sent again and completes once', async () => {
    const { seller, listingId } = await listedToken(30n);
    const dave = await buyer(PRICE);
    const before = await chain.rpc<string>('evm_snapshot');
    const orderId = await buy(dave, listingId);
    const sent = await until(orderId, async (order) => order.nft_tx_hash !== null && (await evm.receipt(order.nft_tx_hash)) !== undefined);
    // A reorg: the chain goes back to before the transfer (its receipt is gone); the order still waits.
    // Blocks are mined by hand meanwhile: the saga may send the same bytes again at once, and an
    // automining chain would hold them in a block before the receipt could be seen gone.
    await chain.rpc('evm_setAutomine', [false]);
    try {
      await chain.rpc('evm_revert', [before]);
      // Again: a revert may bring back the snapshot's mining mode.
      await chain.rpc('evm_setAutomine', [false]);
      expect(await evm.receipt(sent.nft_tx_hash!)).toBeUndefined();
      expect((await orderRow(orderId)).state).toBe('transferring');
    } finally {
      await chain.rpc('evm_setAutomine', [true]);
    }
    // The saga sends the same bytes again; they are mined anew and confirmed.
    await until(orderId, async () => {
      if ((await evm.receipt(sent.nft_tx_hash!)) !== undefined) return true;
      await chain.rpc('evm_mine', []);
      return false;
    });
    const { order } = await settled(orderId);
    expect(order.state).toBe('completed');
    expect(order.nft_tx_hash).toBe(sent.nft_tx_hash);
    expect(await custody.ownerOf(contract, 30n)).toBe(await custodialAddress(server, dave));
    const wallet = server.service('wallet');
    const gas = (await custody.outcome(sent.nft_tx_hash!))!.gasCost;
    expect(await wallet.balance(seller.user.id, 'ETH')).toBe(SELLER_GAS + PRICE - gas);
    expect((await wallet.escrowHoldsByReference(`market:order:${orderId}`)).map((hold) => hold.state)).toEqual(['released']);
    await expectReconciled();
  });

  it('a transfer that can never be mined (another transaction took its nonce) refunds the buyer, fails the order and puts the token back on sale', async () => {
    const { seller, address, listingId } = await listedToken(40n);
    const erin = await buyer(PRICE);
    await chain.rpc('evm_setAutomine', [false]);
    let orderId: string;
    let pending: Awaited<ReturnType<typeof orderRow>>;
    try {
      orderId = await buy(erin, listingId);
      pending = await until(orderId, (order) => order.nft_raw_tx !== null);
      // Another transaction from the seller's address with the same nonce and higher fees replaces it before it is mined.
      const nonce = await evm.nonce(address, 'latest');
      const key = keys.walletAt(EVM_DEPOSIT_PATH(await derivationIndex(seller.user.id)));
      const rival = await new Wallet(key.privateKey).signTransaction({
        type: 2,
        chainId: chain.chainId,
        nonce: Number(nonce),
        to: address,
        value: 0n,
        gasLimit: 21_000n,
        maxFeePerGas: parseEther('0.0000001'),
        maxPriorityFeePerGas: parseEther('0.00000005'),
      });
      expect((await evm.broadcast(rival)).kind).toBe('sent');
      await chain.mine(1);
    } finally {
      await chain.rpc('evm_setAutomine', [true]);
    }
    expect(await evm.nonce(address, 'latest')).toBeGreaterThan(0n);
    const { order, steps } = await settled(orderId);
    expect(order.state).toBe('failed');
    expect(order.reason).toBe('the NFT transfer was never mined');
    expect(steps.sort()).toEqual(['reserve_stock:done', 'hold_escrow:done', 'sign_transfer:done', 'nft_transfer:failed', 'refund_escrow:done', 'release_stock:done', 'compensated:done'].sort());
    expect(await evm.receipt(pending.nft_tx_hash!)).toBeUndefined();
    // The token never moved: the buyer has their money back, the seller nothing, and the listing is for sale again.
    expect(await custody.ownerOf(contract, 40n)).toBe(address);
    const wallet = server.service('wallet');
    expect(await wallet.balance(erin.user.id, 'ETH')).toBe(PRICE);
    expect(await wallet.balance(seller.user.id, 'ETH')).toBe(SELLER_GAS);
    const listing = await orders().selectFrom('market.listings').select(['stock', 'nft_closed_at']).where('id', '=', listingId).executeTakeFirstOrThrow();
    expect(listing).toEqual({ stock: 1, nft_closed_at: null });
    await expectReconciled();
  });
});
