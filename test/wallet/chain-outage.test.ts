import { randomUUID } from 'node:crypto';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ErrorBody, call } from '../identity/identity-http.js';
import { registerUser } from '../support/accounts.js';
import { type LocalChain, startAnvil } from '../support/anvil.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { evmEnv } from './chain-fixtures.js';
import { depositFor } from './wallet-fixtures.js';

const ETH = 10n ** 18n;

interface Health {
  readonly status: string;
  readonly checks: Record<string, { status: string }>;
  readonly breakers: Record<string, string>;
}

describe('the chain going down', () => {
  let chain: LocalChain;
  let server: TestServer;

  beforeAll(async () => {
    chain = await startAnvil();
    server = await startTestServer({
      env: evmEnv(chain, 2, {
        KAIF_WALLET_CHAIN_POLL_MS: '100',
        KAIF_BREAKER_FAILURES: '3',
        KAIF_BREAKER_HALF_OPEN_MS: '60000',
        KAIF_DEPENDENCY_TIMEOUT_MS: '500',
      }),
    });
  });
  afterAll(async () => {
    await server?.stop();
    await chain?.stop();
  });

  it('opens the chain’s breaker in /health, refuses withdrawals fast, and leaves internal transfers alone', async () => {
    const before = (await (await fetch(`${server.opsUrl}/health`)).json()) as Health;
    expect(before.breakers['chain:eth']).toBe('closed');

    await chain.stop();
    const deadline = Date.now() + 15_000;
    let health: Health = before;
    while (health.breakers['chain:eth'] !== 'open' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      health = (await (await fetch(`${server.opsUrl}/health`)).json()) as Health;
    }
    expect(health.breakers['chain:eth']).toBe('open');
    expect(health.checks['chain:eth']?.status).toBe('down');
    // The chain is not essential: the node stays up, degraded.
    expect(health.status).toBe('degraded');

    const alice = await registerUser(server);
    const bob = await registerUser(server);
    await depositFor(server.service('wallet'), alice.user.id, 'ETH', 2n * ETH);
    const withdrawal = await call<ErrorBody>(server, 'POST', '/api/v1/wallet/withdrawals', {
      token: alice.accessToken,
      body: { asset: 'ETH', amount: ETH.toString(), toAddress: Wallet.createRandom().address, idempotencyKey: randomUUID() },
    });
    expect(withdrawal.status).toBe(503);
    expect(withdrawal.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');

    const transfer = await call(server, 'POST', '/api/v1/wallet/transfers', {
      token: alice.accessToken,
      body: { toUserId: bob.user.id, asset: 'ETH', amount: ETH.toString(), idempotencyKey: randomUUID() },
    });
    expect(transfer.status).toBe(201);
    const bobs = await call<{ balances: { asset: string; amount: string }[] }>(server, 'GET', '/api/v1/wallet', { token: bob.accessToken });
    expect(bobs.body.balances.find((balance) => balance.asset === 'ETH')?.amount).toBe(ETH.toString());
  });
});
