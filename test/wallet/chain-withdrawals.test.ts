import { randomUUID } from 'node:crypto';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode } from '../../packages/server/src/modules/identity/two-factor/totp.js';
import { EVM_HOT_WALLET_PATH } from '../../packages/server/src/modules/wallet/chains/chain-keys.js';
import { type ErrorBody, call, newAdmin } from '../identity/identity-http.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { type LocalChain, startAnvil } from '../support/anvil.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { evmEnv, workerRig } from './chain-fixtures.js';

const CONFIRMATIONS = 2;
const ETH = 10n ** 18n;
const DAILY_LIMIT = 5n * ETH;

interface WithdrawalBody {
  readonly withdrawal: { id: string; amount: string; fee: string; state: string; txHash: string | null; toAddress: string };
}

describe('withdrawals on an EVM chain (anvil)', () => {
  let chain: LocalChain;
  let server: TestServer;
  let rig: Awaited<ReturnType<typeof workerRig>>;
  /** What the operator spent from the hot wallet outside the platform (its float shrinks by that). */
  let operatorSpent = 0n;

  const balanceOf = async (user: RegisteredUser) => {
    const reply = await call<{ balances: { asset: string; amount: string }[] }>(server, 'GET', '/api/v1/wallet', { token: user.accessToken });
    return BigInt(reply.body.balances.find((balance) => balance.asset === 'ETH')?.amount ?? '0');
  };

  /** A user with `amount` credited by a real deposit on chain. */
  const fundedUser = async (amount: bigint) => {
    const user = await registerUser(server);
    const address = await call<{ address: string }>(server, 'GET', '/api/v1/wallet/deposit-address?asset=ETH', { token: user.accessToken });
    await rig.watcher.round();
    await chain.send(address.body.address, amount);
    await chain.mine(CONFIRMATIONS);
    await rig.watcher.round();
    expect(await balanceOf(user)).toBe(amount);
    return user;
  };

  const withdraw = (user: RegisteredUser, body: Record<string, unknown>) =>
    call<WithdrawalBody & ErrorBody>(server, 'POST', '/api/v1/wallet/withdrawals', {
      token: user.accessToken,
      body: { asset: 'ETH', idempotencyKey: randomUUID(), ...body },
    });

  /** Worker rounds and blocks until the withdrawal settles or fails. */
  const settle = async (id: string) => {
    for (let round = 0; round < 10; round++) {
      await rig.worker.round();
      const row = await rig.db.selectFrom('wallet.chain_withdrawals').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      if (row.state === 'settled' || row.state === 'failed') return row;
      await chain.mine(1);
    }
    throw new Error('withdrawal did not settle');
  };

  beforeAll(async () => {
    chain = await startAnvil();
    server = await startTestServer({
      roles: ['api'],
      env: evmEnv(chain, CONFIRMATIONS, { KAIF_WALLET_WITHDRAWAL_DAILY_LIMITS: `ETH=${DAILY_LIMIT}` }),
    });
    rig = await workerRig(server, chain, { confirmations: CONFIRMATIONS, stuckAfterMs: 200 });
    await rig.worker.reconcileNonce();
    // The operator funds the hot wallet.
    await chain.send(rig.worker.hotWalletAddress, 100n * ETH);
  });
  afterAll(async () => {
    rig?.stop();
    await server?.stop();
    await chain?.stop();
  });

  it('sends the amount on chain once, settles after N confirmations and charges amount plus at most the fee', async () => {
    const alice = await fundedUser(3n * ETH);
    const to = Wallet.createRandom().address;
    const key = randomUUID();
    const created = await withdraw(alice, { amount: ETH.toString(), toAddress: to, idempotencyKey: key });
    expect(created.status).toBe(201);
    expect(created.body.withdrawal.state).toBe('reserved');
    const fee = BigInt(created.body.withdrawal.fee);
    expect(fee).toBeGreaterThan(0n);
    expect(await balanceOf(alice)).toBe(3n * ETH - ETH - fee);

    const again = await withdraw(alice, { amount: ETH.toString(), toAddress: to, idempotencyKey: key });
    expect(again.status).toBe(200);
    expect(again.body.withdrawal.id).toBe(created.body.withdrawal.id);
    expect(await balanceOf(alice)).toBe(3n * ETH - ETH - fee);

    const settled = await settle(created.body.withdrawal.id);
    expect(settled.state).toBe('settled');
    expect(await chain.provider.getBalance(to)).toBe(ETH);
    expect(BigInt(settled.gas_paid!)).toBeLessThanOrEqual(fee);
    const settleTx = await server.service('wallet').findTransaction(`withdrawal.settle:${created.body.withdrawal.id}`);
    expect(settleTx?.kind).toBe('withdrawal.settle');
    const check = await server.service('wallet').reconcile();
    expect(check).toMatchObject({ balanceMismatches: [], unbalancedTransactions: [], negativeAccounts: [] });

    const listed = await call<{ withdrawals: { id: string; state: string; txHash: string }[] }>(server, 'GET', '/api/v1/wallet/withdrawals', { token: alice.accessToken });
    expect(listed.body.withdrawals[0]).toMatchObject({ id: created.body.withdrawal.id, state: 'settled', txHash: settled.tx_hash });
    const one = await call<WithdrawalBody>(server, 'GET', `/api/v1/wallet/withdrawals/${created.body.withdrawal.id}`, { token: alice.accessToken });
    expect(one.body.withdrawal).toMatchObject({ state: 'settled', txHash: settled.tx_hash });
    const stranger = await registerUser(server);
    const hidden = await call<ErrorBody>(server, 'GET', `/api/v1/wallet/withdrawals/${created.body.withdrawal.id}`, { token: stranger.accessToken });
    expect(hidden.body.error.code).toBe('WITHDRAWAL_NOT_FOUND');
  });

  it('refuses a withdrawal the balance cannot cover and reserves nothing', async () => {
    const bob = await fundedUser(ETH);
    const refused = await withdraw(bob, { amount: ETH.toString(), toAddress: Wallet.createRandom().address });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('INSUFFICIENT_FUNDS');
    expect(await balanceOf(bob)).toBe(ETH);
    const rows = await rig.db.selectFrom('wallet.chain_withdrawals').select('id').where('user_id', '=', bob.user.id).execute();
    expect(rows).toEqual([]);
    const bad = await withdraw(bob, { amount: '1', toAddress: '0x1234' });
    expect(bad.body.error.code).toBe('ADDRESS_INVALID');
  });

  it('holds each user to the daily limit', async () => {
    const carol = await fundedUser(8n * ETH);
    const first = await withdraw(carol, { amount: (4n * ETH).toString(), toAddress: Wallet.createRandom().address });
    expect(first.status).toBe(201);
    const over = await withdraw(carol, { amount: (2n * ETH).toString(), toAddress: Wallet.createRandom().address });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe('WITHDRAWAL_LIMIT_EXCEEDED');
    const within = await withdraw(carol, { amount: ETH.toString(), toAddress: Wallet.createRandom().address });
    expect(within.status).toBe(201);
    await settle(first.body.withdrawal.id);
    await settle(within.body.withdrawal.id);
  });

  it('asks for the second factor when the user has it on', async () => {
    const dave = await fundedUser(2n * ETH);
    const setup = await call<{ secret: string }>(server, 'POST', '/api/v1/auth/2fa/setup', { token: dave.accessToken });
    const enabled = await call(server, 'POST', '/api/v1/auth/2fa/enable', { token: dave.accessToken, body: { code: totpCode(setup.body.secret) } });
    expect(enabled.status).toBe(200);
    const to = Wallet.createRandom().address;
    const without = await withdraw(dave, { amount: ETH.toString(), toAddress: to });
    expect(without.status).toBe(401);
    expect(without.body.error.code).toBe('TOTP_REQUIRED');
    const wrong = await withdraw(dave, { amount: ETH.toString(), toAddress: to, totpCode: '000000' });
    expect(wrong.body.error.code).toBe('TOTP_INVALID');
    expect(await balanceOf(dave)).toBe(2n * ETH);
    const withCode = await withdraw(dave, { amount: ETH.toString(), toAddress: to, totpCode: totpCode(setup.body.secret, { timestampMs: Date.now() + 30_000 }) });
    expect(withCode.status).toBe(201);
    await settle(withCode.body.withdrawal.id);
  });

  it('replaces a stuck transaction with the same nonce and a higher fee, and the replacement settles once', async () => {
    const erin = await fundedUser(2n * ETH);
    const to = Wallet.createRandom().address;
    await chain.rpc('evm_setAutomine', [false]);
    try {
      const created = await withdraw(erin, { amount: ETH.toString(), toAddress: to });
      await rig.worker.round();
      const attempts = () => rig.db.selectFrom('wallet.withdrawal_attempts').selectAll().where('withdrawal_id', '=', created.body.withdrawal.id).orderBy('attempt').execute();
      expect(await attempts()).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await rig.worker.round();
      const [first, second] = await attempts();
      expect(second).toBeDefined();
      expect(BigInt(second!.max_fee_per_gas)).toBeGreaterThan(BigInt(first!.max_fee_per_gas));
      const withdrawal = await rig.db.selectFrom('wallet.chain_withdrawals').select('nonce').where('id', '=', created.body.withdrawal.id).executeTakeFirstOrThrow();
      expect(BigInt(second!.max_fee_per_gas) * 21_000n).toBeLessThanOrEqual(BigInt(created.body.withdrawal.fee));
      await chain.mine(1);
      const mined = await chain.provider.getTransactionReceipt(second!.tx_hash);
      expect(mined?.status).toBe(1);
      expect(await chain.provider.getTransactionReceipt(first!.tx_hash)).toBeNull();
      expect((await chain.provider.getTransaction(second!.tx_hash))?.nonce).toBe(Number(withdrawal.nonce));
    } finally {
      await chain.rpc('evm_setAutomine', [true]);
    }
    const [row] = await rig.db.selectFrom('wallet.chain_withdrawals').select('id').where('user_id', '=', erin.user.id).execute();
    const settled = await settle(row!.id);
    expect(settled.state).toBe('settled');
    expect(await chain.provider.getBalance(to)).toBe(ETH);
  });

  it('moves its nonce counter up to the chain’s on start when the hot wallet was used elsewhere', async () => {
    const frank = await fundedUser(2n * ETH);
    // The operator spends from the hot wallet with another tool: two nonces the worker never reserved.
    const hot = rig.keys.walletAt(EVM_HOT_WALLET_PATH).connect(chain.provider);
    for (let i = 0; i < 2; i++) {
      const receipt = await (await hot.sendTransaction({ to: Wallet.createRandom().address, value: 1n })).wait();
      operatorSpent += 1n + receipt!.fee;
    }
    const onChain = await chain.provider.getTransactionCount(rig.worker.hotWalletAddress, 'latest');
    const restarted = await workerRig(server, chain, { confirmations: CONFIRMATIONS });
    await restarted.worker.reconcileNonce();
    const created = await withdraw(frank, { amount: ETH.toString(), toAddress: Wallet.createRandom().address });
    const settled = await settle(created.body.withdrawal.id);
    expect(settled.state).toBe('settled');
    expect(Number(settled.nonce)).toBe(onChain);
    restarted.stop();
  });

  it('reconciles the ledger with the chain: the platform’s addresses hold what users are owed plus the operator’s float', async () => {
    const admin = await newAdmin(server);
    const reply = await call<{ assets: { asset: string; ledgerHeld: string; onChain: string; surplus: string }[] }>(
      server,
      'GET',
      '/api/v1/admin/wallet/chain-reconciliation',
      { token: admin },
    );
    expect(reply.status).toBe(200);
    const eth = reply.body.assets.find((entry) => entry.asset === 'ETH')!;
    expect(BigInt(eth.ledgerHeld)).toBeGreaterThan(0n);
    // Every withdrawal above settled, gas included: what is left over is exactly the operator's float.
    expect(BigInt(eth.surplus)).toBe(100n * ETH - operatorSpent);
    const user = await registerUser(server);
    expect((await call<ErrorBody>(server, 'GET', '/api/v1/admin/wallet/chain-reconciliation', { token: user.accessToken })).status).toBe(403);
  });
});
