import { randomUUID } from 'node:crypto';
import { Address, comment } from '@ton/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainKeys } from '../../packages/server/src/modules/wallet/chains/chain-keys.js';
import { ChainLedger } from '../../packages/server/src/modules/wallet/chains/chain-ledger.js';
import type { ChainTables } from '../../packages/server/src/modules/wallet/chains/chain-tables.js';
import { TonDepositWatcher } from '../../packages/server/src/modules/wallet/chains/ton-deposits.js';
import { tonHotWallet } from '../../packages/server/src/modules/wallet/chains/ton-wallets.js';
import { TON_WITHDRAWAL_FEE, TonWithdrawalWorker } from '../../packages/server/src/modules/wallet/chains/ton-withdrawals.js';
import { type ErrorBody, call } from '../identity/identity-http.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { SandboxTonNetwork } from '../support/ton-sandbox.js';

const TON = 1_000_000_000n;

/**
 * TON deposits by memo and withdrawals from the hot wallet, against an
 * in-process TON chain. The server runs without the worker role (its TON
 * endpoint is a closed port); the test drives the watcher and worker over
 * the server's own database, keys and ledger, with the sandbox as network.
 */
describe('TON deposits and withdrawals (sandbox)', () => {
  let server: TestServer;
  let network: SandboxTonNetwork;
  let rig: Awaited<ReturnType<typeof tonRig>>;

  async function tonRig() {
    const db = server.adapters.db.kysely<ChainTables>();
    const keys = await ChainKeys.load(db, server.adapters.secrets, 'ton');
    const wallet = await tonHotWallet(keys);
    const ledger = new ChainLedger(server.service('wallet'));
    return {
      db,
      wallet,
      watcher: () => new TonDepositWatcher(db, network, wallet.address, ledger, server.logger),
      worker: () => new TonWithdrawalWorker(db, network, wallet, keys, ledger, server.logger),
    };
  }

  const balanceOf = async (user: RegisteredUser) => {
    const reply = await call<{ balances: { asset: string; amount: string }[] }>(server, 'GET', '/api/v1/wallet', { token: user.accessToken });
    return BigInt(reply.body.balances.find((balance) => balance.asset === 'TON')?.amount ?? '0');
  };

  beforeAll(async () => {
    network = await SandboxTonNetwork.start();
    server = await startTestServer({ roles: ['api'], env: { KAIF_WALLET_ASSETS: 'ETH,TON', KAIF_WALLET_RPC_URLS: 'TON=http://127.0.0.1:9/api/v2/jsonRPC' } });
    rig = await tonRig();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('credits a transfer to the hot wallet with the user’s memo once, and one with an unknown memo to no one', async () => {
    const alice = await registerUser(server);
    const deposit = await call<{ address: string; memo: string }>(server, 'GET', '/api/v1/wallet/deposit-address?asset=TON', { token: alice.accessToken });
    expect(deposit.status).toBe(200);
    expect(Address.parse(deposit.body.address).equals(rig.wallet.address)).toBe(true);
    expect(deposit.body.memo).toMatch(/^[a-z2-9]{10}$/);
    await rig.watcher().round();

    const sender = await network.blockchain.treasury('outside');
    await sender.send({ to: rig.wallet.address, value: 3n * TON, bounce: false, body: comment(deposit.body.memo) });
    await sender.send({ to: rig.wallet.address, value: TON, bounce: false, body: comment('no-such-memo') });
    await rig.watcher().round();
    expect(await balanceOf(alice)).toBe(3n * TON);
    // Further rounds, by a restarted watcher too, credit nothing again.
    await rig.watcher().round();
    await rig.watcher().round();
    expect(await balanceOf(alice)).toBe(3n * TON);
  });

  it('sends a withdrawal once from the hot wallet and settles it; the stored message sent again pays nothing', async () => {
    const bob = await registerUser(server);
    const deposit = await call<{ memo: string }>(server, 'GET', '/api/v1/wallet/deposit-address?asset=TON', { token: bob.accessToken });
    const sender = await network.blockchain.treasury('outside');
    await rig.watcher().round();
    await sender.send({ to: rig.wallet.address, value: 5n * TON, bounce: false, body: comment(deposit.body.memo) });
    await rig.watcher().round();
    expect(await balanceOf(bob)).toBe(5n * TON);

    const recipient = await network.blockchain.treasury('recipient');
    const before = await network.balance(recipient.address);
    const refused = await call<ErrorBody>(server, 'POST', '/api/v1/wallet/withdrawals', {
      token: bob.accessToken,
      body: { asset: 'TON', amount: (5n * TON).toString(), toAddress: recipient.address.toString(), idempotencyKey: randomUUID() },
    });
    expect(refused.body.error.code).toBe('INSUFFICIENT_FUNDS');
    const created = await call<{ withdrawal: { id: string; fee: string } }>(server, 'POST', '/api/v1/wallet/withdrawals', {
      token: bob.accessToken,
      body: { asset: 'TON', amount: (2n * TON).toString(), toAddress: recipient.address.toString(), idempotencyKey: randomUUID() },
    });
    expect(created.status).toBe(201);
    expect(BigInt(created.body.withdrawal.fee)).toBe(TON_WITHDRAWAL_FEE);
    expect(await balanceOf(bob)).toBe(3n * TON - TON_WITHDRAWAL_FEE);

    const worker = rig.worker();
    await worker.reconcileNonce();
    await worker.round();
    await worker.round();
    const row = await rig.db.selectFrom('wallet.chain_withdrawals').selectAll().where('id', '=', created.body.withdrawal.id).executeTakeFirstOrThrow();
    expect(row.state).toBe('settled');
    expect(BigInt(row.gas_paid!)).toBeLessThan(TON_WITHDRAWAL_FEE);
    const received = (await network.balance(recipient.address)) - before;
    expect(received).toBeGreaterThan(2n * TON - TON / 100n);
    expect(received).toBeLessThanOrEqual(2n * TON);

    // A worker that died before recording the send would send the stored message again: the wallet's seqno refuses it.
    const [attempt] = await rig.db.selectFrom('wallet.withdrawal_attempts').select('raw_tx').where('withdrawal_id', '=', row.id).execute();
    await expect(network.sendMessage(Buffer.from(attempt!.raw_tx, 'base64'))).rejects.toThrow();
    expect((await network.balance(recipient.address)) - before).toBe(received);
    await rig.worker().round();
    expect(await balanceOf(bob)).toBe(3n * TON - TON_WITHDRAWAL_FEE);
    const check = await server.service('wallet').reconcile();
    expect(check).toMatchObject({ balanceMismatches: [], unbalancedTransactions: [], negativeAccounts: [] });
  });
});
