import { CLOSE_CODES } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityModule } from '../../packages/server/src/modules/identity/identity-module.js';
import { keysModule } from '../../packages/server/src/modules/keys/keys-module.js';
import { messagingModule } from '../../packages/server/src/modules/messaging/messaging-module.js';
import { createRealtimeModule } from '../../packages/server/src/modules/realtime/realtime-module.js';
import { registerUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { rawSocket, syncedSocket, waitFor, wsUrl } from './realtime-fixtures.js';

/** A metric's value from the server's registry, summed over series matching `labels`. */
const metric = async (server: TestServer, name: string, labels: Readonly<Record<string, string>> = {}) => {
  const found = server.registry.getSingleMetric(name);
  if (!found) return 0;
  const { values } = await found.get();
  return values
    .filter((value) => Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted))
    .reduce((sum, value) => sum + value.value, 0);
};

const HEARTBEAT_MS = 300;

describe('gateway protection', () => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer({
      modules: [
        identityModule,
        keysModule,
        messagingModule,
        createRealtimeModule({ heartbeatMs: HEARTBEAT_MS, authTimeoutMs: 500, maxBufferedBytes: 64 * 1024, framesPerSecond: 5, frameBurst: 10 }),
      ],
    });
    token = (await registerUser(server)).accessToken;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('closes with 4401 when the first frame is not auth', async () => {
    const raw = await rawSocket(server.url);
    raw.send({ type: 'sync', since: null });
    expect(await raw.closedWith()).toBe(CLOSE_CODES.UNAUTHORIZED);
  });

  it('closes with 4401 on a bad token and counts the failure', async () => {
    const before = await metric(server, 'kaif_realtime_auth_failures_total', { reason: 'token' });
    const raw = await rawSocket(server.url);
    raw.send({ type: 'auth', token: 'not-a-token' });
    expect(await raw.closedWith()).toBe(CLOSE_CODES.UNAUTHORIZED);
    expect(await metric(server, 'kaif_realtime_auth_failures_total', { reason: 'token' })).toBe(before + 1);
  });

  it('closes with 4401 when no auth frame arrives in time', async () => {
    const raw = await rawSocket(server.url);
    expect(await raw.closedWith(3000)).toBe(CLOSE_CODES.UNAUTHORIZED);
  });

  it('answers a bad frame with an error frame and keeps this and other connections working', async () => {
    const bad = await syncedSocket(server.url, token);
    const bystander = await syncedSocket(server.url, token);
    bad.send('{not json');
    expect((await bad.next('error')).error).toMatchObject({ code: 'VALIDATION_FAILED', message: 'The frame is not valid JSON' });
    bad.send({ type: 'message.send', id: 'f1', chatId: 'c', clientMsgId: 'm' });
    expect(await bad.next('error')).toMatchObject({ id: 'f1', error: { code: 'VALIDATION_FAILED', field: 'text' } });
    bad.send({ type: 'teleport' });
    expect((await bad.next('error')).error).toMatchObject({ field: 'type' });
    bad.send({ type: 'ping' });
    await bad.next('pong');
    bystander.send({ type: 'ping' });
    await bystander.next('pong');
    expect(bad.closed()).toBeUndefined();
    bad.socket.close();
    bystander.socket.close();
  });

  it('closes with 1008 when a client sends more than the frame burst before its session is ready', async () => {
    const raw = await rawSocket(server.url);
    // In one write, so the server reads them while the session is still
    // authenticating. Written one by one from a busy test process, the
    // pings could arrive after ready and meet the frame budget instead (a
    // CI dry run timed out waiting for the close).
    const tcp = Reflect.get(raw.socket, '_socket') as import('node:net').Socket;
    tcp.cork();
    raw.send({ type: 'auth', token });
    for (let frame = 0; frame < 50; frame++) raw.send({ type: 'ping' });
    tcp.uncork();
    expect(await raw.closedWith()).toBe(CLOSE_CODES.POLICY_VIOLATION);
  });

  it('closes with 1009 on a frame above the size limit', async () => {
    const raw = await syncedSocket(server.url, token);
    raw.send({ type: 'typing', chatId: 'x'.repeat(70 * 1024) });
    expect(await raw.closedWith()).toBe(CLOSE_CODES.FRAME_TOO_LARGE);
  });

  it('answers a flood with FLOOD_WAIT and a retryAfter', async () => {
    const raw = await syncedSocket(server.url, token);
    for (let index = 0; index < 30; index++) raw.send({ type: 'ping' });
    const error = await raw.next('error');
    expect(error.error).toMatchObject({ code: 'FLOOD_WAIT' });
    expect(error.error.retryAfter).toBeGreaterThanOrEqual(1);
    raw.socket.close();
  });

  it('refuses a browser from an origin that is not allowed', async () => {
    const refused = await rawSocket(server.url, { origin: 'https://evil.example' }).catch((error: Error) => error);
    expect(String(refused)).toContain('403');
    const own = await rawSocket(server.url, { origin: server.url });
    own.socket.close();
  });

  it('drops a peer that does not answer pings within two heartbeat intervals', async () => {
    const raw = await rawSocket(server.url, { autoPong: false });
    raw.send({ type: 'auth', token });
    await raw.next('ready');
    const silentSince = Date.now();
    expect(await raw.closedWith(3000)).toBe(1006);
    // Pinged at its slot of the heartbeat wheel (within 300 ms), dropped at the next visit; slack for a loaded host.
    expect(Date.now() - silentSince).toBeLessThan(2 * HEARTBEAT_MS + 700);
  });

  it('keeps a peer that answers pings over many heartbeat intervals', async () => {
    const raw = await syncedSocket(server.url, token);
    await new Promise((resolve) => setTimeout(resolve, 5 * HEARTBEAT_MS));
    expect(raw.closed()).toBeUndefined();
    raw.send({ type: 'ping' });
    await raw.next('pong');
    raw.socket.close();
  });
});

describe('slow consumers', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({
      modules: [identityModule, keysModule, messagingModule, createRealtimeModule({ maxBufferedBytes: 64 * 1024 })],
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('disconnects a slow consumer and counts it, without affecting others', { timeout: 60_000 }, async () => {
    const owner = await registerUser(server);
    const messaging = server.service('messaging');
    const created = await fetch(`${server.url}/api/v1/chats`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'group', title: 'firehose' }),
    });
    const chatId = ((await created.json()) as { id: string }).id as never;
    const slow = await syncedSocket(server.url, owner.accessToken);
    const healthy = await syncedSocket(server.url, owner.accessToken);
    const text = 'x'.repeat(4000);
    for (let index = 0; index < 150; index++) {
      await messaging.sendMessage(owner.user.id as never, { chatId, clientMsgId: `flood-${index}`, text });
    }
    const before = await metric(server, 'kaif_realtime_slow_consumers_dropped_total');
    // The slow client stops reading and asks for the history again and again
    // (about 600 KB each time): its kernel buffers fill, then the server's send buffer.
    (Reflect.get(slow.socket, '_socket') as import('node:net').Socket).pause();
    // A newer sync cancels an unfinished one, so each gets time to write its replay.
    for (let index = 0; index < 30 && (await metric(server, 'kaif_realtime_slow_consumers_dropped_total')) === before; index++) {
      slow.send({ type: 'sync', since: slow.cursor });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await waitFor(() => healthy.frames.length >= 150, 10_000, 'the healthy client to keep receiving');
    const deadline = Date.now() + 10_000;
    while ((await metric(server, 'kaif_realtime_slow_consumers_dropped_total')) === before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await metric(server, 'kaif_realtime_slow_consumers_dropped_total')).toBe(before + 1);
    healthy.send({ type: 'ping' });
    await healthy.next('pong');
    (Reflect.get(slow.socket, '_socket') as import('node:net').Socket).resume();
    expect([CLOSE_CODES.TRY_AGAIN_LATER, 1006]).toContain(await slow.closedWith());
    healthy.socket.close();
  });
});

describe('session revocation', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('closes the socket of a session that logs out with 4401', async () => {
    const account = await registerUser(server);
    const raw = await syncedSocket(server.url, account.accessToken);
    const response = await fetch(`${server.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: account.refreshToken }),
    });
    expect(response.status).toBe(204);
    expect(await raw.closedWith()).toBe(CLOSE_CODES.UNAUTHORIZED);
  });

  it('refuses the upgrade on a path other than /ws', async () => {
    const refused = await rawSocket(server.url.replace(/$/, '/nope')).catch((error: Error) => error);
    expect(String(refused)).toMatch(/40\d|Unexpected/);
    expect(wsUrl(server.url)).toMatch(/\/ws$/);
  });
});
