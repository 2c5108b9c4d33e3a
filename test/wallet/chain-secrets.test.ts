import { randomUUID } from 'node:crypto';
import { HDNodeWallet, Mnemonic, Wallet } from 'ethers';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVM_DEPOSIT_PATH, EVM_HOT_WALLET_PATH } from '../../packages/server/src/modules/wallet/chains/chain-keys.js';
import type { ChainTables } from '../../packages/server/src/modules/wallet/chains/chain-tables.js';
import { call, newAdmin } from '../identity/identity-http.js';
import { registerUser } from '../support/accounts.js';
import { type LocalChain, startAnvil } from '../support/anvil.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { evmEnv } from './chain-fixtures.js';

const ETH = 10n ** 18n;

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The canary: run deposits and withdrawals (and their errors) through a
 * real server at trace level, then open the sealed seed with the test key
 * and look for it, and every private key derived from it, in every table's
 * text, every log line and every API answer.
 */
describe('wallet keys never leak', () => {
  let chain: LocalChain;
  let server: TestServer;
  const answers: string[] = [];

  beforeAll(async () => {
    chain = await startAnvil();
    server = await startTestServer({ env: { ...evmEnv(chain, 1), LOG_LEVEL: 'trace', KAIF_WALLET_CHAIN_POLL_MS: '100' } });
  });
  afterAll(async () => {
    await server?.stop();
    await chain?.stop();
  });

  const record = async <T>(reply: Promise<{ status: number; body: T }>) => {
    const answer = await reply;
    answers.push(JSON.stringify(answer.body));
    return answer;
  };

  it('keeps the seed and derived private keys out of the database, the logs, API answers and errors', async () => {
    const alice = await registerUser(server);
    const admin = await newAdmin(server);
    const deposit = await record(call<{ address: string }>(server, 'GET', '/api/v1/wallet/deposit-address?asset=ETH', { token: alice.accessToken }));
    const hot = await record(call<{ hotWallets: { address: string }[] }>(server, 'GET', '/api/v1/admin/wallet/hot-wallets', { token: admin }));
    const hotAddress = hot.body.hotWallets[0]!.address;
    await chain.send(hotAddress, 10n * ETH);
    await until('the watcher to start', async () => (await server.adapters.db.kysely<ChainTables>().selectFrom('wallet.chain_cursors').select('asset').execute()).length > 0);
    await chain.send(deposit.body.address, 2n * ETH);
    await chain.mine(1);
    const balance = async () =>
      (await record(call<{ balances: { amount: string }[] }>(server, 'GET', '/api/v1/wallet', { token: alice.accessToken }))).body.balances[0]?.amount;
    await until('the deposit credit', async () => (await balance()) === (2n * ETH).toString());

    const to = Wallet.createRandom().address;
    const created = await record(
      call<{ withdrawal: { id: string } }>(server, 'POST', '/api/v1/wallet/withdrawals', {
        token: alice.accessToken,
        body: { asset: 'ETH', amount: ETH.toString(), toAddress: to, idempotencyKey: randomUUID() },
      }),
    );
    await record(call(server, 'POST', '/api/v1/wallet/withdrawals', { token: alice.accessToken, body: { asset: 'ETH', amount: (5n * ETH).toString(), toAddress: to, idempotencyKey: randomUUID() } }));
    await record(call(server, 'POST', '/api/v1/wallet/withdrawals', { token: alice.accessToken, body: { asset: 'ETH', amount: '1', toAddress: 'nope', idempotencyKey: randomUUID() } }));
    await until('the withdrawal to settle', async () => {
      await chain.mine(1);
      const listed = await record(call<{ withdrawals: { id: string; state: string }[] }>(server, 'GET', '/api/v1/wallet/withdrawals', { token: alice.accessToken }));
      return listed.body.withdrawals.some((withdrawal) => withdrawal.id === created.body.withdrawal.id && withdrawal.state === 'settled');
    });
    await record(call(server, 'GET', '/api/openapi.json'));

    // What must never show: the phrase, its seed and entropy, and private keys derived from it.
    const db = server.adapters.db.kysely<ChainTables>();
    const { seed_sealed } = await db.selectFrom('wallet.chain_seeds').select('seed_sealed').where('family', '=', 'evm').executeTakeFirstOrThrow();
    const phrase = server.adapters.secrets.open(seed_sealed, 'wallet.chain_seed.evm');
    const mnemonic = Mnemonic.fromPhrase(phrase);
    const keys = [EVM_HOT_WALLET_PATH, EVM_DEPOSIT_PATH(0), EVM_DEPOSIT_PATH(1)].map((path) => HDNodeWallet.fromMnemonic(mnemonic, path).privateKey);
    const hexes = [mnemonic.computeSeed(), mnemonic.entropy, ...keys].map((hex) => hex.slice(2).toLowerCase());
    const leaksIn = (text: string) => text.includes(phrase) || hexes.some((hex) => text.toLowerCase().includes(hex));

    const tables = await sql<{ schema: string; name: string }>`
      select table_schema as schema, table_name as name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`.execute(db);
    expect(tables.rows.length).toBeGreaterThan(10);
    const leakingTables: string[] = [];
    for (const table of tables.rows) {
      const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(`${table.schema}.${table.name}`)} t`.execute(db);
      if (rows.rows.some((row) => leaksIn(row.row))) leakingTables.push(`${table.schema}.${table.name}`);
    }
    expect(leakingTables).toEqual([]);
    expect(server.rawLogs.some((line) => line.includes('withdrawal settled'))).toBe(true);
    expect(server.rawLogs.filter(leaksIn)).toEqual([]);
    expect(answers.length).toBeGreaterThan(8);
    expect(answers.filter(leaksIn)).toEqual([]);
  });
});
