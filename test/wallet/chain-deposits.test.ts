import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody } from '../identity/identity-http.js';
import { call } from '../identity/identity-http.js';
import { registerUser } from '../support/accounts.js';
import { type LocalChain, startAnvil } from '../support/anvil.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { evmEnv, workerRig } from './chain-fixtures.js';

const CONFIRMATIONS = 3;
const ETH = 10n ** 18n;

async function balanceOf(server: TestServer, token: string, asset = 'ETH'): Promise<bigint> {
  const reply = await call<{ balances: { asset: string; amount: string }[] }>(server, 'GET', '/api/v1/wallet', { token });
  return BigInt(reply.body.balances.find((balance) => balance.asset === asset)?.amount ?? '0');
}

async function depositAddress(server: TestServer, token: string): Promise<string> {
  const reply = await call<{ asset: string; address: string }>(server, 'GET', '/api/v1/wallet/deposit-address?asset=ETH', { token });
  expect(reply.status).toBe(200);
  return reply.body.address;
}

describe('deposits on an EVM chain (anvil)', () => {
  let chain: LocalChain;
  let server: TestServer;

  beforeAll(async () => {
    chain = await startAnvil();
    // No worker role: the test drives the watcher's rounds itself.
    server = await startTestServer({ roles: ['api'], env: evmEnv(chain, CONFIRMATIONS) });
  });
  afterAll(async () => {
    await server?.stop();
    await chain?.stop();
  });

  it('gives each user one stable deposit address of their own', async () => {
    const alice = await registerUser(server);
    const bob = await registerUser(server);
    const first = await depositAddress(server, alice.accessToken);
    expect(first).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(await depositAddress(server, alice.accessToken)).toBe(first);
    expect(await depositAddress(server, bob.accessToken)).not.toBe(first);
    const unknown = await call<ErrorBody>(server, 'GET', '/api/v1/wallet/deposit-address?asset=TON', { token: alice.accessToken });
    expect(unknown.body.error.code).toBe('ASSET_NOT_ENABLED');
  });

  it('credits a deposit after N confirmations exactly once, also across a watcher restart', async () => {
    const alice = await registerUser(server);
    const address = await depositAddress(server, alice.accessToken);
    const first = await workerRig(server, chain, { confirmations: CONFIRMATIONS });
    await first.watcher.round();

    const txHash = await chain.send(address, 2n * ETH);
    await first.watcher.round();
    expect(await balanceOf(server, alice.accessToken)).toBe(0n);
    await chain.mine(1);
    await first.watcher.round();
    expect(await balanceOf(server, alice.accessToken)).toBe(0n);

    // The watcher is restarted: a new one resumes from the persisted cursor.
    first.stop();
    const second = await workerRig(server, chain, { confirmations: CONFIRMATIONS });
    await chain.mine(1);
    await second.watcher.round();
    expect(await balanceOf(server, alice.accessToken)).toBe(2n * ETH);

    // More rounds, by both the old and the new watcher, credit nothing twice.
    await chain.mine(2);
    await second.watcher.round();
    await second.watcher.round();
    expect(await balanceOf(server, alice.accessToken)).toBe(2n * ETH);
    const credit = await server.service('wallet').findTransaction(`deposit:ETH:${txHash}:0`);
    expect(credit?.kind).toBe('deposit');
    const rows = await second.db.selectFrom('wallet.chain_deposits').selectAll().where('tx_hash', '=', txHash).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ state: 'credited', amount: (2n * ETH).toString() });
    expect(BigInt(rows[0]!.block_number)).toBeGreaterThan(0n);
    expect(rows[0]!.block_hash).toMatch(/^0x[0-9a-f]{64}$/);
    second.stop();
  });

  it('finds a deposit made while the watcher was down when it starts again', async () => {
    const bob = await registerUser(server);
    const address = await depositAddress(server, bob.accessToken);
    const before = await workerRig(server, chain, { confirmations: CONFIRMATIONS });
    await before.watcher.round();
    before.stop();
    await chain.send(address, ETH);
    await chain.mine(CONFIRMATIONS + 2);
    const after = await workerRig(server, chain, { confirmations: CONFIRMATIONS });
    await after.watcher.round();
    expect(await balanceOf(server, bob.accessToken)).toBe(ETH);
    after.stop();
  });

  it('drops a pending deposit whose block leaves the chain before N confirmations', async () => {
    const carol = await registerUser(server);
    const address = await depositAddress(server, carol.accessToken);
    const rig = await workerRig(server, chain, { confirmations: CONFIRMATIONS });
    await rig.watcher.round();
    const snapshot = await chain.rpc<string>('evm_snapshot');
    const txHash = await chain.send(address, ETH);
    await rig.watcher.round();
    // A reorg: the chain goes back to before the deposit and grows past it without it.
    await chain.rpc('evm_revert', [snapshot]);
    await chain.mine(CONFIRMATIONS + 3);
    await rig.watcher.round();
    await rig.watcher.round();
    expect(await balanceOf(server, carol.accessToken)).toBe(0n);
    const row = await rig.db.selectFrom('wallet.chain_deposits').select('state').where('tx_hash', '=', txHash).executeTakeFirstOrThrow();
    expect(row.state).toBe('dropped');
    expect(await server.service('wallet').findTransaction(`deposit:ETH:${txHash}:0`)).toBeUndefined();
    rig.stop();
  });

  it('reverses a credit whose block leaves the chain afterwards, and the ledger still balances', async () => {
    const dave = await registerUser(server);
    const address = await depositAddress(server, dave.accessToken);
    const rig = await workerRig(server, chain, { confirmations: CONFIRMATIONS });
    await rig.watcher.round();
    const snapshot = await chain.rpc<string>('evm_snapshot');
    const txHash = await chain.send(address, 3n * ETH);
    await chain.mine(CONFIRMATIONS - 1);
    await rig.watcher.round();
    expect(await balanceOf(server, dave.accessToken)).toBe(3n * ETH);

    await chain.rpc('evm_revert', [snapshot]);
    await chain.mine(CONFIRMATIONS + 3);
    await rig.watcher.round();
    expect(await balanceOf(server, dave.accessToken)).toBe(0n);
    const reversal = await server.service('wallet').findTransaction(`deposit.reversal:ETH:${txHash}:0`);
    expect(reversal?.kind).toBe('deposit.reversal');
    const row = await rig.db.selectFrom('wallet.chain_deposits').select('state').where('tx_hash', '=', txHash).executeTakeFirstOrThrow();
    expect(row.state).toBe('reversed');
    const check = await server.service('wallet').reconcile();
    expect(check).toMatchObject({ balanceMismatches: [], unbalancedTransactions: [], negativeAccounts: [] });
    expect(check.sumsByAsset.ETH).toBe('0');
    rig.stop();
  });
});
