import type { KaifClient } from '@kaif/client/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../packages/server/src/server.js';
import { goOnline, waitFor } from '../realtime/realtime-fixtures.js';
import { auditHistory, readWholeHistory, repeated } from '../support/chat-history.js';
import { startGroupTraffic } from '../support/group-traffic.js';
import { type ScratchDatabase, createScratchDatabase, engineAvailable, scratchPrefix } from '../support/engines.js';
import { healthBecomes, readHealth, startFaultNode } from '../support/fault-node.js';
import { type PrivateEngine, startPrivateNats, startPrivateRedis } from '../support/private-engines.js';
import { sdkClient } from '../support/sdk-clients.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const RECOVERY_BOUND_MS = 20_000;

describe.skipIf(!engineAvailable('postgres'))('Redis killed mid-traffic', () => {
  let scratch: ScratchDatabase | undefined;
  let redis: PrivateEngine | undefined;
  let nats: PrivateEngine | undefined;
  let node: RunningServer | undefined;

  const clients: KaifClient[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    redis = await startPrivateRedis();
    nats = await startPrivateNats();
    node = await startFaultNode({ DATABASE_URL: scratch.url, REDIS_URL: redis.url, KAIF_REDIS_PREFIX: scratchPrefix(), NATS_URL: nats.url });
  });
  afterAll(async () => {
    for (const client of clients) client.realtime.disconnect();
    await node?.stop();
    await redis?.kill();
    await nats?.kill();
    await scratch?.drop();
  });

  it('keeps serving sends, logins and refreshes while degraded, loses and repeats nothing, and is healthy again once Redis returns', async () => {
    const url = node!.url;
    const { alice, bob, carol, chat, carolSees, stream } = await startGroupTraffic(url, 'redis outage', clients);
    await pause(1500);
    // Carol resumes after the fault: she must catch up without repeats.
    carol.client.realtime.disconnect();
    const ackedBeforeFault = stream.ackedCount();

    await redis!.kill();
    await healthBecomes(node!, 'degraded', 10_000);
    expect((await readHealth(node!)).checks.kv?.status).toBe('down');

    const relogin = sdkClient(url);
    await relogin.auth.login({ login: bob.account.user.username, password: bob.account.password });
    expect((await relogin.auth.me()).id).toBe(bob.account.user.id);
    await alice.client.auth.refresh();
    await pause(2000);
    const ackedDuringFault = stream.ackedCount() - ackedBeforeFault;
    expect(ackedDuringFault).toBeGreaterThan(40);

    const restartedAt = Date.now();
    await redis!.start();
    const recoveryMs = await healthBecomes(node!, 'healthy', RECOVERY_BOUND_MS);
    console.info(`redis outage: ${ackedDuringFault} sends acked while down; /health healthy ${Date.now() - restartedAt} ms after Redis restarted`);
    expect(recoveryMs).toBeLessThan(RECOVERY_BOUND_MS);
    await pause(1000);

    const report = await stream.stop(10_000);
    expect(report.failures).toEqual([]);
    expect(report.unsettled).toEqual({ websocket: 0, http: 0 });
    expect(report.slowestMs.http).toBeLessThan(5000);

    const audit = auditHistory(await readWholeHistory(bob.client, chat.id), report.acked);
    expect(audit).toEqual({ missing: [], duplicated: [] });

    await goOnline(carol.client);
    await waitFor(() => carolSees.countOf(report.acked.values()) === report.acked.size, 15_000, 'carol to catch up');
    expect(repeated(carolSees.received)).toEqual([]);

  }, 60_000);
});
