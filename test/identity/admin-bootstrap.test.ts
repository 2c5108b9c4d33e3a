import { Writable } from 'node:stream';
import type { Me } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { type RunningServer, startServer } from '../../packages/server/src/server.js';
import { registerUser } from '../support/accounts.js';
import { ENGINE_URLS, type ScratchDatabase, createScratchDatabase, engineAvailable } from '../support/engines.js';
import { type TestServer, startTestServer, testConfig } from '../support/test-server.js';
import { ENGINE_SETS, type ErrorBody, call, identityDb, refresh } from './identity-http.js';

const redeem = (server: TestServer, token: string, code: string) =>
  call<ErrorBody | undefined>(server, 'POST', '/api/v1/admin/bootstrap', { token, body: { code } });

for (const engines of ENGINE_SETS) {
  describe(`the first admin of a new server (${engines})`, () => {
    let server: TestServer;
    let code: string;

    beforeAll(async () => {
      server = await startTestServer({ engines });
      const printed = server.logs.filter((line) => typeof line.adminBootstrapCode === 'string');
      expect(printed).toHaveLength(1);
      code = printed[0]!.adminBootstrapCode as string;
    });
    afterAll(() => server.stop());

    it('stores the printed code only as a hash', async () => {
      const row = await identityDb(server).selectFrom('identity.admin_bootstrap').selectAll().executeTakeFirstOrThrow();
      expect(row.code_hash).not.toContain(code);
      expect(row.used_at).toBeNull();
    });

    it('makes admin the account that redeems the code, once, and nobody with a wrong code', async () => {
      const stranger = await registerUser(server);
      const operator = await registerUser(server);
      const wrong = await redeem(server, stranger.accessToken, 'f'.repeat(code.length));
      expect(wrong.status).toBe(403);
      expect(wrong.body).toMatchObject({ error: { code: 'ADMIN_BOOTSTRAP_CODE_INVALID' } });

      expect((await redeem(server, operator.accessToken, code)).status).toBe(204);
      const refreshed = await refresh(server, operator.refreshToken);
      expect((await call<Me>(server, 'GET', '/api/v1/me', { token: refreshed.body.accessToken })).body.role).toBe('admin');
      expect((await call(server, 'GET', '/api/v1/admin/users', { token: refreshed.body.accessToken })).status).toBe(200);

      const again = await redeem(server, stranger.accessToken, code);
      expect(again.status).toBe(403);
      expect((await call<Me>(server, 'GET', '/api/v1/me', { token: stranger.accessToken })).body.role).toBe('user');
    });

    it('never prints the code again, not even when it is redeemed', () => {
      expect(server.rawLogs.filter((line) => line.includes(code))).toHaveLength(1);
    });
  });
}

describe.runIf(engineAvailable('postgres') && engineAvailable('redis') && engineAvailable('nats'))('the bootstrap code across nodes and restarts', () => {
  let scratch: ScratchDatabase | undefined;
  const nodes: RunningServer[] = [];
  const lines: string[] = [];
  const start = async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    // Nodes sharing a database must share a bus and a store too.
    const config = testConfig({ DATABASE_URL: scratch!.url, NATS_URL: ENGINE_URLS.nats!, REDIS_URL: ENGINE_URLS.redis! });
    const node = await startServer({ config, logger: createLogger('info', sink), modules: MODULES });
    nodes.push(node);
    return node;
  };
  beforeAll(async () => {
    scratch = await createScratchDatabase();
  });
  afterAll(async () => {
    for (const node of nodes) await node.stop();
    await scratch?.drop();
  });

  it('is printed by one of the nodes that start together on a new database, and by none after a restart', async () => {
    await Promise.all([start(), start()]);
    const printed = lines.filter((line) => line.includes('adminBootstrapCode'));
    expect(printed).toHaveLength(1);
    lines.length = 0;
    await start();
    expect(lines.some((line) => line.includes('adminBootstrapCode'))).toBe(false);
    expect(lines.some((line) => line.includes('no admin yet'))).toBe(true);
  });
});
