import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { totpCode } from '../../packages/server/src/modules/identity/two-factor/totp.js';
import { authHeaders, registerUser } from '../support/accounts.js';
import { ENGINE_URLS, type ScratchDatabase, createScratchDatabase, engineAvailable, scratchPrefix } from '../support/engines.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';
import { syncedSocket } from '../realtime/realtime-fixtures.js';

const OTHER_KEY = `other:${Buffer.alloc(32, 9).toString('base64')}`;

describe.runIf(engineAvailable('postgres') && engineAvailable('nats') && engineAvailable('redis'))('several nodes on one PostgreSQL database', () => {
  let scratch: ScratchDatabase;
  const nodes: ServerProcess[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const node = await startServerProcess({ DATABASE_URL: scratch.url, ...env });
    nodes.push(node);
    return node;
  };
  let shared: Record<string, string>;

  beforeEach(async () => {
    scratch = await createScratchDatabase();
    shared = { NATS_URL: ENGINE_URLS.nats!, REDIS_URL: ENGINE_URLS.redis!, KAIF_REDIS_PREFIX: scratchPrefix() };
  });
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.kill()));
    await scratch.drop();
  });

  it('refuses to start without KAIF_SECRET_KEY, naming it, rather than generate a key of its own', async () => {
    await expect(start({ KAIF_SECRET_KEY: '' })).rejects.toThrow(/exited \(78\)[\s\S]*CONFIG ERROR: KAIF_SECRET_KEY must be set when DATABASE_URL is/);
  });

  it('refuses to start with a key that cannot open what another node sealed in the database: another id, or the same id with other material', async () => {
    const first = await start(shared);
    await registerUser(first);
    await expect(start({ ...shared, KAIF_SECRET_KEY: OTHER_KEY })).rejects.toThrow(
      /exited \(78\)[\s\S]*CONFIG ERROR: KAIF_SECRET_KEY lacks the key id test /,
    );
    // The same id with other key material (a second node given a freshly generated key, say) is caught too, not met by a 500 later.
    await expect(start({ ...shared, KAIF_SECRET_KEY: `test:${Buffer.alloc(32, 8).toString('base64')}` })).rejects.toThrow(
      /exited \(78\)[\s\S]*CONFIG ERROR: KAIF_SECRET_KEY holds another key under the key id test than the one data in this database is sealed with/,
    );
    // Rotating: the new key in front, the old one kept after it, opens everything.
    const rotated = await start({ ...shared, KAIF_SECRET_KEY: `${OTHER_KEY},test:${Buffer.alloc(32, 7).toString('base64')}` });
    expect((await registerUser(rotated)).user.id).toBeTruthy();
    // Four node processes, one after another (see below).
  }, 90_000);

  it('refuses a second node when either lacks a shared bus or store, and lets one start after the other shut down', async () => {
    const lonely = await start();
    await expect(start()).rejects.toThrow(
      /exited \(78\)[\s\S]*CONFIG ERROR: NATS_URL and REDIS_URL must be set on every node sharing a database/,
    );
    await expect(start({ ...shared, REDIS_URL: '' })).rejects.toThrow(/exited \(78\)[\s\S]*this node has no REDIS_URL/);
    await expect(start(shared)).rejects.toThrow(/exited \(78\)[\s\S]*runs on this database without NATS_URL or REDIS_URL/);
    await lonely.stop();
    const next = await start();
    expect((await fetch(`${next.url}/ready`)).status).toBe(200);
    // Five node processes start one after another: on a busy two-core host that outlasts the default 30 s.
  }, 90_000);

  it('with a shared key, NATS and Redis, signs in, refreshes and enables 2FA across nodes, and a logout closes sockets on the other', async () => {
    const [a, b] = [await start(shared), await start(shared)] as const;
    const alice = await registerUser(a);
    const login = await fetch(`${b.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: alice.user.username, password: alice.password }),
    });
    expect(login.status).toBe(200);
    const refreshed = await fetch(`${b.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: alice.refreshToken }),
    });
    expect(refreshed.status).toBe(200);
    const tokens = (await refreshed.json()) as { accessToken: string; refreshToken: string };

    const setup = await fetch(`${a.url}/api/v1/auth/2fa/setup`, { method: 'POST', headers: authHeaders(tokens.accessToken), body: '{}' });
    const { secret } = (await setup.json()) as { secret: string };
    const enable = await fetch(`${b.url}/api/v1/auth/2fa/enable`, {
      method: 'POST',
      headers: authHeaders(tokens.accessToken),
      body: JSON.stringify({ code: totpCode(secret) }),
    });
    expect(enable.status).toBe(200);

    const socket = await syncedSocket(b.url, tokens.accessToken);
    const logout = await fetch(`${a.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: authHeaders(tokens.accessToken),
      body: JSON.stringify({ refreshToken: tokens.refreshToken }),
    });
    expect(logout.status).toBe(204);
    expect(await socket.closedWith()).toBe(4401);
    expect((await fetch(`${b.url}/api/v1/me`, { headers: authHeaders(tokens.accessToken) })).status).toBe(401);
  });
});
