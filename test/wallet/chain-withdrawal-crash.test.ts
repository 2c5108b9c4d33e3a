import { randomUUID } from 'node:crypto';
import { Transaction, Wallet } from 'ethers';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../identity/identity-http.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { type LocalChain, startAnvil } from '../support/anvil.js';
import { ENGINE_URLS, type ScratchDatabase, createScratchDatabase, engineAvailable, scratchPrefix } from '../support/engines.js';
import { type JsonRpcGate, startJsonRpcGate } from '../support/json-rpc-gate.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';

const ETH = 10n ** 18n;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A real `kaif start` process with the worker role, SIGKILLed at the two
 * moments a withdrawal can be lost or doubled: after the signed transaction
 * is stored but before any node has it, and after the node has it but
 * before the worker recorded the broadcast. A JSON-RPC gate in front of
 * anvil holds the broadcast at exactly those points.
 */
describe.skipIf(!(engineAvailable('postgres') && engineAvailable('redis') && engineAvailable('nats')))('a withdrawal survives kill -9 of its worker', () => {
  let chain: LocalChain;
  let gate: JsonRpcGate;
  let scratch: ScratchDatabase;
  let node: ServerProcess;
  let sql: pg.Client;

  beforeAll(async () => {
    chain = await startAnvil();
    gate = await startJsonRpcGate(chain.url);
    scratch = await createScratchDatabase();
    node = await startServerProcess({
      DATABASE_URL: scratch.url,
      // A restarted node meets its killed self's registration: nodes on one database share a store and a bus.
      REDIS_URL: ENGINE_URLS.redis!,
      KAIF_REDIS_PREFIX: scratchPrefix(),
      NATS_URL: ENGINE_URLS.nats!,
      KAIF_WALLET_ASSETS: 'ETH',
      KAIF_WALLET_EVM_ASSETS: JSON.stringify([{ asset: 'ETH', chainId: chain.chainId }]),
      KAIF_WALLET_RPC_URLS: `ETH=${gate.url}`,
      KAIF_WALLET_CONFIRMATIONS: '2',
      KAIF_WALLET_CHAIN_POLL_MS: '100',
    });
    sql = new pg.Client({ connectionString: scratch.url });
    await sql.connect();
  }, 60_000);
  afterAll(async () => {
    await sql?.end();
    await node?.kill();
    await gate?.stop();
    await chain?.stop();
    await scratch?.drop();
  });

  const balanceOf = async (user: RegisteredUser) => {
    const reply = await call<{ balances: { asset: string; amount: string }[] }>(node, 'GET', '/api/v1/wallet', { token: user.accessToken });
    return BigInt(reply.body.balances.find((balance) => balance.asset === 'ETH')?.amount ?? '0');
  };
  const withdrawal = async (id: string) => (await sql.query('select state, nonce, tx_hash from wallet.chain_withdrawals where id = $1', [id])).rows[0];

  it('is broadcast once, with the transaction signed before the first kill, and settles once', async () => {
    const alice = await registerUser(node);
    const deposit = await call<{ address: string }>(node, 'GET', '/api/v1/wallet/deposit-address?asset=ETH', { token: alice.accessToken });
    await until('the deposit watcher to start', async () => ((await sql.query('select 1 from wallet.chain_cursors')).rowCount ? true : undefined));
    await chain.send(deposit.body.address, 3n * ETH);
    await chain.mine(2);
    await until('the deposit credit', async () => ((await balanceOf(alice)) === 3n * ETH ? true : undefined));
    const hot = await until('the hot wallet', async () => (await sql.query('select address from wallet.hot_wallet_nonces')).rows[0]?.address as string | undefined);
    await chain.send(hot, 10n * ETH);

    // First kill: the worker stored the signed transaction; no node has it.
    gate.mode = 'swallow-send';
    const to = Wallet.createRandom().address;
    const captured = gate.nextSend();
    const created = await call<{ withdrawal: { id: string; fee: string } }>(node, 'POST', '/api/v1/wallet/withdrawals', {
      token: alice.accessToken,
      body: { asset: 'ETH', amount: ETH.toString(), toAddress: to, idempotencyKey: randomUUID() },
    });
    expect(created.status).toBe(201);
    const { id, fee } = created.body.withdrawal;
    const signedRaw = await captured;
    await node.kill();
    const stored = (await sql.query('select tx_hash, raw_tx from wallet.withdrawal_attempts where withdrawal_id = $1', [id])).rows;
    expect(stored).toEqual([{ tx_hash: Transaction.from(signedRaw).hash, raw_tx: signedRaw }]);
    expect((await withdrawal(id)).state).toBe('signed');
    expect(await chain.provider.getTransactionCount(hot, 'pending')).toBe(0);

    // Second kill: on restart the worker sends the SAME raw transaction; the
    // node takes it, but the worker dies before it hears back.
    gate.mode = 'send-then-hang';
    const resent = gate.nextSend();
    await node.restart();
    expect(await resent).toBe(signedRaw);
    await node.kill();
    expect(await chain.provider.getTransactionCount(hot, 'latest')).toBe(1);

    // Third start: nothing is signed anew; the mined transaction settles the withdrawal.
    gate.mode = 'pass';
    await node.restart();
    await chain.mine(2);
    await until('the withdrawal to settle', async () => ((await withdrawal(id)).state === 'settled' ? true : undefined));
    expect((await withdrawal(id)).tx_hash).toBe(Transaction.from(signedRaw).hash);
    expect(await chain.provider.getBalance(to)).toBe(ETH);
    expect(await chain.provider.getTransactionCount(hot, 'latest')).toBe(1);
    expect(new Set(gate.sent.map((raw) => Transaction.from(raw).hash))).toEqual(new Set([Transaction.from(signedRaw).hash]));
    const gasPaid = BigInt((await sql.query('select gas_paid from wallet.chain_withdrawals where id = $1', [id])).rows[0].gas_paid);
    expect(gasPaid).toBeLessThanOrEqual(BigInt(fee));
    expect(await balanceOf(alice)).toBe(2n * ETH - BigInt(fee));

    // The nonce counter carried on: the next withdrawal takes nonce 1.
    const next = await call<{ withdrawal: { id: string } }>(node, 'POST', '/api/v1/wallet/withdrawals', {
      token: alice.accessToken,
      body: { asset: 'ETH', amount: (ETH / 2n).toString(), toAddress: to, idempotencyKey: randomUUID() },
    });
    await until('the next withdrawal to be broadcast', async () => ((await withdrawal(next.body.withdrawal.id)).state === 'broadcast' ? true : undefined));
    await chain.mine(2);
    await until('the next withdrawal to settle', async () => ((await withdrawal(next.body.withdrawal.id)).state === 'settled' ? true : undefined));
    expect(String((await withdrawal(next.body.withdrawal.id)).nonce)).toBe('1');
    expect(await chain.provider.getBalance(to)).toBe(ETH + ETH / 2n);
  }, 90_000);
});
