import type { KaifClient } from '@kaif/client/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../packages/server/src/server.js';
import { waitFor } from '../realtime/realtime-fixtures.js';
import { auditHistory, readWholeHistory, repeated } from '../support/chat-history.js';
import { startGroupTraffic } from '../support/group-traffic.js';
import { type ScratchDatabase, createScratchDatabase, engineAvailable } from '../support/engines.js';
import { healthBecomes, readHealth, startFaultNode } from '../support/fault-node.js';
import { type TcpProxy, startTcpProxy } from '../support/tcp-proxy.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const RECOVERY_BOUND_MS = 20_000;

describe.skipIf(!engineAvailable('postgres'))('PostgreSQL unreachable for a few seconds mid-traffic', () => {
  let scratch: ScratchDatabase | undefined;
  let proxy: TcpProxy | undefined;
  let node: RunningServer | undefined;
  const clients: KaifClient[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    const direct = new URL(scratch.url);
    proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
    const viaProxy = new URL(scratch.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    node = await startFaultNode({ DATABASE_URL: viaProxy.toString() });
  });
  afterAll(async () => {
    for (const client of clients) client.realtime.disconnect();
    await proxy?.restore().catch(() => undefined);
    await node?.stop();
    await proxy?.close();
    await scratch?.drop();
  });

  it('answers 503 and unhealthy while it is gone, keeps sessions signed in, and serves every queued send exactly once after', async () => {
    const url = node!.url;
    const { alice, bob, carol, chat, carolSees, stream } = await startGroupTraffic(url, 'pg outage', clients);
    const signedOut: string[] = [];
    for (const [name, client] of [['alice', alice.client], ['carol', carol.client]] as const) {
      client.on('unauthorized', () => signedOut.push(name));
    }
    await pause(1000);
    carol.client.realtime.disconnect();

    await proxy!.cut();
    const health = await waitForHealth(node!, 'unhealthy');
    expect(health.httpStatus).toBe(503);
    expect(health.checks.database?.status).toBe('down');
    // Carol comes back while the database is still gone: she must be told to wait, not signed out.
    carol.client.realtime.connect();
    await pause(4000);

    const restoredAt = Date.now();
    await proxy!.restore();
    const healthyMs = await healthBecomes(node!, 'healthy', RECOVERY_BOUND_MS);
    await waitFor(() => stream.ackTimes.some((at) => at > restoredAt), RECOVERY_BOUND_MS, 'a send acked after the database returned');
    const firstAckMs = stream.ackTimes.find((at) => at > restoredAt)! - restoredAt;
    await pause(1000);
    const report = await stream.stop(RECOVERY_BOUND_MS);
    const codes = new Map<string, number>();
    for (const failure of report.failures) {
      const key = `${failure.via} ${failure.status} ${failure.code}: ${failure.message}`;
      codes.set(key, (codes.get(key) ?? 0) + 1);
    }
    console.info(
      `postgres outage: ${report.acked.size} acked; failures ${JSON.stringify(Object.fromEntries(codes))}; /health healthy ${healthyMs} ms and first ack ${firstAckMs} ms after the database returned; slowest ${JSON.stringify(report.slowestMs)} ms; unsettled ${JSON.stringify(report.unsettled)}; signed out ${JSON.stringify(signedOut)}`,
    );

    expect(report.failures.filter((failure) => failure.code !== 'DEPENDENCY_UNAVAILABLE')).toEqual([]);
    expect(report.slowestMs.http).toBeLessThan(12_000);
    expect(firstAckMs).toBeLessThan(RECOVERY_BOUND_MS);
    const audit = auditHistory(await readWholeHistory(bob.client, chat.id), report.acked);
    expect(audit).toEqual({ missing: [], duplicated: [] });
    expect(signedOut).toEqual([]);
    expect(report.unsettled).toEqual({ websocket: 0, http: 0 });

    await waitFor(() => carol.client.realtime.state === 'online', RECOVERY_BOUND_MS, 'carol to come online');
    await waitFor(() => carolSees.countOf(report.acked.values()) === report.acked.size, 15_000, 'carol to catch up');
    expect(repeated(carolSees.received)).toEqual([]);
  }, 90_000);
});

/** /health answers slowly while a check times out; poll it until it reports `status`. */
async function waitForHealth(node: RunningServer, status: string) {
  await healthBecomes(node, status, 15_000);
  return readHealth(node);
}
