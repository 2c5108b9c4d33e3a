import type { KaifClient } from '@kaif/client/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../packages/server/src/server.js';
import { goOnline, waitFor } from '../realtime/realtime-fixtures.js';
import { auditHistory, readWholeHistory, repeated } from '../support/chat-history.js';
import { type ScratchDatabase, createScratchDatabase, engineAvailable, scratchPrefix } from '../support/engines.js';
import { healthBecomes, readHealth, startFaultNode } from '../support/fault-node.js';
import { startMessageStream } from '../support/message-stream.js';
import { watchMessages } from '../support/message-watch.js';
import { type PrivateEngine, startPrivateNats, startPrivateRedis } from '../support/private-engines.js';
import { signedUpClient } from '../support/sdk-clients.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const RECOVERY_BOUND_MS = 20_000;

describe.skipIf(!engineAvailable('postgres'))('NATS killed between two nodes mid-traffic', () => {
  let scratch: ScratchDatabase | undefined;
  let redis: PrivateEngine | undefined;
  let nats: PrivateEngine | undefined;
  const nodes: RunningServer[] = [];

  const clients: KaifClient[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    redis = await startPrivateRedis();
    nats = await startPrivateNats();
    const env = { DATABASE_URL: scratch.url, REDIS_URL: redis.url, KAIF_REDIS_PREFIX: scratchPrefix(), NATS_URL: nats.url };
    // One after the other: both migrate the same database at start.
    nodes.push(await startFaultNode(env));
    nodes.push(await startFaultNode(env));
  });
  afterAll(async () => {
    for (const client of clients) client.realtime.disconnect();
    for (const node of nodes) await node.stop();
    await redis?.kill();
    await nats?.kill();
    await scratch?.drop();
  });

  it('keeps acking sends on node A, pauses delivery to node B, then drains the backlog to B exactly once', async () => {
    const [nodeA, nodeB] = nodes as [RunningServer, RunningServer];
    const alice = await signedUpClient(nodeA.url);
    const dave = await signedUpClient(nodeA.url);
    const bob = await signedUpClient(nodeB.url);
    const carol = await signedUpClient(nodeB.url);
    clients.push(alice.client, dave.client, bob.client, carol.client);
    const chat = await alice.client.chats.create({
      type: 'group',
      title: 'nats outage',
      memberIds: [dave.account.user.id, bob.account.user.id, carol.account.user.id],
    });
    await goOnline(alice.client);
    await goOnline(bob.client);
    await goOnline(carol.client);
    const bobSees = watchMessages(bob.client);
    const carolSees = watchMessages(carol.client);

    const stream = startMessageStream(
      chat.id,
      [
        { client: alice.client, via: 'websocket' },
        { client: dave.client, via: 'http' },
      ],
      40,
    );
    await pause(1500);
    expect(bobSees.received.length).toBeGreaterThan(0);
    // Carol resumes after the fault from her cursor.
    carol.client.realtime.disconnect();

    await nats!.kill();
    await healthBecomes(nodeA, 'degraded', 10_000);
    expect((await readHealth(nodeA)).checks.bus?.status).toBe('down');
    // Whatever was already relayed may still arrive; from here on B hears nothing.
    await pause(1000);
    const ackedBeforeQuiet = stream.ackedCount();
    const bobBeforeQuiet = bobSees.received.length;
    await pause(2500);
    const ackedDuringFault = stream.ackedCount() - ackedBeforeQuiet;
    const deliveredDuringFault = bobSees.received.length - bobBeforeQuiet;
    expect(ackedDuringFault).toBeGreaterThan(40);
    expect(deliveredDuringFault).toBe(0);

    const restartedAt = Date.now();
    await nats!.start();
    const ackedAtRestart = stream.ackedCount();
    await pause(1000);
    const report = await stream.stop(15_000);
    expect(report.failures).toEqual([]);
    expect(report.unsettled).toEqual({ websocket: 0, http: 0 });
    expect(report.slowestMs.http).toBeLessThan(5000);

    await waitFor(() => bobSees.countOf(report.acked.values()) === report.acked.size, RECOVERY_BOUND_MS, 'bob on B to get the backlog');
    const drainedMs = Date.now() - restartedAt;
    const healthyMs = await healthBecomes(nodeA, 'healthy', RECOVERY_BOUND_MS);
    console.info(
      `nats outage: ${ackedDuringFault} sends acked while down (${deliveredDuringFault} delivered to B); ${ackedAtRestart} acked at restart; backlog delivered to B ${drainedMs} ms after NATS restarted; /health healthy ${healthyMs} ms later`,
    );
    expect(drainedMs).toBeLessThan(RECOVERY_BOUND_MS);
    expect(repeated(bobSees.received)).toEqual([]);

    const audit = auditHistory(await readWholeHistory(bob.client, chat.id), report.acked);
    expect(audit).toEqual({ missing: [], duplicated: [] });

    await goOnline(carol.client);
    await waitFor(() => carolSees.countOf(report.acked.values()) === report.acked.size, 15_000, 'carol to catch up');
    expect(repeated(carolSees.received)).toEqual([]);

  }, 60_000);
});
