import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityTables } from '../../packages/server/src/modules/identity/identity-tables.js';
import { SigningKeyRing } from '../../packages/server/src/modules/identity/tokens/signing-keys.js';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { type RunningServer, startServer } from '../../packages/server/src/server.js';
import { authHeaders, registerUser } from '../support/accounts.js';
import { ENGINE_URLS, type ScratchDatabase, createScratchDatabase, engineAvailable, scratchPrefix } from '../support/engines.js';
import { testConfig } from '../support/test-server.js';

describe.runIf(engineAvailable('postgres') && engineAvailable('nats') && engineAvailable('redis'))('identity across nodes started together', () => {
  let scratch: ScratchDatabase | undefined;
  const nodes: RunningServer[] = [];
  beforeAll(async () => {
    scratch = await createScratchDatabase();
    // Nodes on one database must share the bus and store too, or the second refuses to start.
    const config = testConfig({
      DATABASE_URL: scratch.url,
      NATS_URL: ENGINE_URLS.nats!,
      REDIS_URL: ENGINE_URLS.redis!,
      KAIF_REDIS_PREFIX: scratchPrefix(),
      LOG_LEVEL: 'silent',
    });
    nodes.push(
      ...(await Promise.all([0, 1].map(() => startServer({ config, logger: createLogger('silent'), modules: MODULES })))),
    );
  });
  afterAll(async () => {
    for (const node of nodes) await node.stop();
    await scratch?.drop();
  });

  it('shares its signing key, so a token from either node works on the other at once', async () => {
    const [a, b] = nodes as [RunningServer, RunningServer];
    const jwksA = (await (await fetch(`${a.url}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    const jwksB = (await (await fetch(`${b.url}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    expect(jwksA.keys).toHaveLength(1);
    expect(jwksB.keys).toEqual(jwksA.keys);
    const alice = await registerUser(a);
    expect((await fetch(`${b.url}/api/v1/me`, { headers: authHeaders(alice.accessToken) })).status).toBe(200);
  });

  it('creates exactly one first signing key however many nodes race to create it', async () => {
    const db = nodes[0]!.adapters.db.kysely<IdentityTables>();
    await db.deleteFrom('identity.signing_keys').execute();
    const rings = Array.from({ length: 6 }, () => new SigningKeyRing(db, nodes[0]!.adapters.secrets, 900, 60_000));
    await Promise.all(rings.map((ring) => ring.ensureKey()));
    const rows = await db.selectFrom('identity.signing_keys').select('kid').execute();
    expect(rows).toHaveLength(1);
    const kids = await Promise.all(rings.map(async (ring) => (await ring.signingKey()).kid));
    expect(new Set(kids)).toEqual(new Set([rows[0]!.kid]));
  });
});
