import pg from 'pg';
import type { KaifClient } from '@kaif/client/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../packages/server/src/server.js';
import { goOnline, waitFor } from '../realtime/realtime-fixtures.js';
import { auditHistory, readWholeHistory, repeated } from '../support/chat-history.js';
import { ENGINE_URLS, type ScratchDatabase, createScratchDatabase, engineAvailable } from '../support/engines.js';
import { startFaultNode } from '../support/fault-node.js';
import { startGroupTraffic } from '../support/group-traffic.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const RECOVERY_BOUND_MS = 10_000;
/** What a client may see when its database connection is cut: retry later, never an opaque 500. */
const RETRYABLE_FAILURES = new Set(['DEPENDENCY_UNAVAILABLE', 'NOT_READY']);

/** Terminates every server connection to the scratch database, as a failover or an operator would. */
async function terminateServerConnections(adminUrl: string, databaseUrl: string): Promise<number> {
  const database = new URL(databaseUrl).pathname.slice(1);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const result = await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [database],
    );
    return result.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

describe.skipIf(!engineAvailable('postgres'))('PostgreSQL connections killed mid-traffic', () => {
  let scratch: ScratchDatabase | undefined;
  let node: RunningServer | undefined;

  const clients: KaifClient[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    node = await startFaultNode({ DATABASE_URL: scratch.url });
  });
  afterAll(async () => {
    for (const client of clients) client.realtime.disconnect();
    await node?.stop();
    await scratch?.drop();
  });

  it('fails in-flight sends with a retryable code, retries queued ones, loses and repeats nothing, and serves again quickly', async () => {
    const url = node!.url;
    const { alice, bob, carol, chat, carolSees, stream } = await startGroupTraffic(url, 'pg kill', clients);
    const aliceErrors: string[] = [];
    alice.client.on('error', (error) => aliceErrors.push(error.code));
    await pause(1000);
    carol.client.realtime.disconnect();

    let terminated = 0;
    let lastKillAt = 0;
    for (let round = 0; round < 3; round++) {
      terminated += await terminateServerConnections(ENGINE_URLS.postgres!, scratch!.url);
      lastKillAt = Date.now();
      await pause(800);
    }
    expect(terminated).toBeGreaterThan(0);
    await waitFor(() => stream.ackTimes.some((at) => at > lastKillAt), RECOVERY_BOUND_MS, 'a send acked after the last kill');
    const recoveryMs = stream.ackTimes.find((at) => at > lastKillAt)! - lastKillAt;
    await pause(1000);

    const report = await stream.stop(15_000);
    const byCode = new Map<string, number>();
    for (const failure of report.failures) {
      const key = `${failure.via} ${failure.status} ${failure.code}: ${failure.message}`;
      byCode.set(key, (byCode.get(key) ?? 0) + 1);
    }
    console.info(
      `postgres kill: ${terminated} connections terminated in 3 rounds; ${report.acked.size} acked; failures ${JSON.stringify(Object.fromEntries(byCode))}; first ack ${recoveryMs} ms after the last kill; slowest ${JSON.stringify(report.slowestMs)} ms; unsettled ${JSON.stringify(report.unsettled)}; alice's unrouted errors ${JSON.stringify(aliceErrors)}`,
    );
    expect(report.failures.filter((failure) => !RETRYABLE_FAILURES.has(failure.code))).toEqual([]);
    expect(report.unsettled).toEqual({ websocket: 0, http: 0 });
    expect(report.slowestMs.http).toBeLessThan(10_000);
    expect(recoveryMs).toBeLessThan(RECOVERY_BOUND_MS);

    const audit = auditHistory(await readWholeHistory(bob.client, chat.id), report.acked);
    expect(audit).toEqual({ missing: [], duplicated: [] });

    await goOnline(carol.client);
    await waitFor(() => carolSees.countOf(report.acked.values()) === report.acked.size, 15_000, 'carol to catch up');
    expect(repeated(carolSees.received)).toEqual([]);

  }, 60_000);
});
