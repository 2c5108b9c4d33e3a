import { createECDH, randomBytes } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KaifTcpClient } from '@kaif/client/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { createPushModule } from '../../packages/server/src/modules/push/push-module.js';
import { DEFAULT_PUSH_OPTIONS } from '../../packages/server/src/modules/push/push-services.js';
import { ENGINE_SETS, call, login, newAdmin } from '../identity/identity-http.js';
import { eventually } from '../support/adapter-fixtures.js';
import { syncedSocket, waitFor } from '../realtime/realtime-fixtures.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { type LocalSubscription, startLocalPushService } from '../support/local-push-service.js';
import { type TestServer, startTestServer } from '../support/test-server.js';

interface Delivery {
  readonly subscriptionId: string;
  readonly userId: string;
  readonly state: string;
  readonly detail: string | null;
}

type Step = { status: number; headers?: Record<string, string> };

/**
 * A loopback HTTP server answering each request with the next status of
 * `script` (or, given a function, the step for the request's path),
 * recording when each came.
 */
async function scriptedPushService(script: readonly Step[] | ((path: string) => Step)) {
  const hits: number[] = [];
  const server: Server = createServer((request, response) => {
    request.resume();
    const step = typeof script === 'function' ? script(request.url ?? '/') : script[Math.min(hits.length, script.length - 1)]!;
    hits.push(Date.now());
    response.writeHead(step.status, step.headers).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** A P-256 key pair's public half and an auth secret: what a browser's subscription carries. */
function browserKeys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
}

/** Every breaker of the server's /health (operations port). */
const breakersOf = async (server: TestServer) => ((await (await fetch(`${server.opsUrl}/health`)).json()) as { breakers: Record<string, string> }).breakers;

const keysOf = (subscription: LocalSubscription) => ({ endpoint: subscription.endpoint, keys: subscription.keys });

for (const engines of ENGINE_SETS) {
  describe(`push to offline members (${engines})`, () => {
    let server: TestServer;
    let pushService: Awaited<ReturnType<typeof startLocalPushService>>;
    let publicKey: string;
    let adminToken: string;
    let alice: RegisteredUser;
    const others: Record<'bob' | 'carol' | 'dave' | 'erin' | 'frank', RegisteredUser> = {} as never;
    const devices: Record<string, LocalSubscription> = {};
    let chatId: string;

    const send = async (text: string) => {
      const reply = await call<{ seq: number }>(server, 'POST', `/api/v1/chats/${chatId}/messages`, {
        token: alice.accessToken,
        body: { clientMsgId: `m-${Math.random()}`, text },
      });
      expect(reply.status).toBe(201);
      return reply.body.seq;
    };
    const subscribe = async (token: string, subscription: { endpoint: string; keys: { p256dh: string; auth: string } }) => {
      const reply = await call<{ id: string }>(server, 'POST', '/api/v1/push/subscriptions', { token, body: subscription });
      expect(reply.status).toBe(201);
      return reply.body.id;
    };
    const ledger = async (seq: number) =>
      (await call<{ deliveries: Delivery[] }>(server, 'GET', `/api/v1/admin/push/messages/${chatId}/${seq}`, { token: adminToken })).body.deliveries;

    beforeAll(async () => {
      server = await startTestServer({
        engines,
        env: { KAIF_PUSH_ALLOW_PRIVATE_HOSTS: 'true' },
        modules: [
          ...MODULES.filter((module) => module.name !== 'push'),
          createPushModule({
            dispatch: { ...DEFAULT_PUSH_OPTIONS.dispatch, intervalMs: 300, maxIntervalMs: 600, perDevicePerMinute: 8 },
            retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 2000 },
          }),
        ],
      });
      pushService = await startLocalPushService();
      adminToken = await newAdmin(server);
      alice = await registerUser(server);
      for (const name of ['bob', 'carol', 'dave', 'erin', 'frank'] as const) others[name] = await registerUser(server);
      const key = await call<{ publicKey: string }>(server, 'GET', '/api/v1/push/vapid-public-key', { token: alice.accessToken });
      publicKey = key.body.publicKey;
      const created = await call<{ id: string }>(server, 'POST', '/api/v1/chats', {
        token: alice.accessToken,
        body: { type: 'group', title: 'Harbour crew', memberIds: Object.values(others).map((user) => user.user.id) },
      });
      chatId = created.body.id;
      for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) devices[name] = await pushService.subscribe(publicKey);
      await subscribe(alice.accessToken, keysOf(devices.alice!));
      for (const name of ['bob', 'carol', 'dave', 'frank'] as const) await subscribe(others[name].accessToken, keysOf(devices[name]!));
    });
    afterAll(async () => {
      await server?.stop();
      await pushService?.close();
    });

    it('pushes to an offline member within 2 s, naming the chat and the sender but not the text', async () => {
      const started = Date.now();
      const seq = await send('the boat leaves at six');
      await waitFor(() => devices.bob!.messages().length > 0, 2000, 'a push to bob');
      expect(Date.now() - started).toBeLessThan(2000);
      const [notification] = devices.bob!.messages();
      expect(notification).toMatchObject({ chatId, seq, title: 'Harbour crew', tag: `chat:${chatId}`, count: 1, url: `/chats/${chatId}` });
      expect(notification!.body).toContain(alice.user.displayName);
      expect(JSON.stringify(notification)).not.toContain('boat');
    });

    it('sends nothing to the sender, a muted chat, or members connected over WebSocket or TCP', async () => {
      const muted = await call(server, 'PUT', `/api/v1/chats/${chatId}/mute`, {
        token: others.dave.accessToken,
        body: { until: new Date(Date.now() + 3600_000).toISOString() },
      });
      expect(muted.status).toBe(200);
      const socket = await syncedSocket(server.url, others.carol.accessToken);
      const tcp = await KaifTcpClient.connect({ host: '127.0.0.1', port: server.ports.tcp! });
      await tcp.auth(others.frank.accessToken);
      const before = Object.fromEntries(Object.entries(devices).map(([name, device]) => [name, device.messages().length]));
      const seq = await send('second message');
      await waitFor(() => devices.bob!.messages().length > before.bob!, 3000, 'the second push to bob');
      // Give any wrong push the same time again to arrive.
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const name of ['alice', 'carol', 'dave', 'frank']) expect(devices[name]!.messages().length, name).toBe(before[name]);
      const states = Object.fromEntries((await ledger(seq)).map((delivery) => [delivery.userId, delivery.state]));
      expect(states).toEqual({
        [others.bob.user.id]: 'accepted',
        [others.carol.user.id]: 'live',
        [others.dave.user.id]: 'muted',
        [others.frank.user.id]: 'live',
      });
      socket.socket.close();
      await tcp.close();
    });

    it('forgets the subscription of a revoked session', async () => {
      const second = await login(server, { login: others.erin.user.username, password: others.erin.password });
      await subscribe(others.erin.accessToken, keysOf(devices.erin!));
      const sessions = await call<{ sessions: { id: string; current: boolean }[] }>(server, 'GET', '/api/v1/auth/sessions', { token: second.body.accessToken });
      const first = sessions.body.sessions.find((session) => !session.current)!;
      expect((await call(server, 'DELETE', `/api/v1/auth/sessions/${first.id}`, { token: second.body.accessToken })).status).toBe(204);
      const remaining = async () =>
        (await call<{ subscriptions: unknown[] }>(server, 'GET', '/api/v1/push/subscriptions', { token: second.body.accessToken })).body.subscriptions.length;
      const deadline = Date.now() + 5000;
      while ((await remaining()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await remaining()).toBe(0);
      const before = devices.bob!.messages().length;
      await send('after the revocation');
      await waitFor(() => devices.bob!.messages().length > before, 3000, 'the push to bob');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(devices.erin!.messages()).toEqual([]);
    });

    it('coalesces a burst into one updating notification per chat, with a count', async () => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      const before = devices.bob!.messages().length;
      const countBefore = devices.bob!.messages().at(-1)!.count as number;
      // Sent at once, so the burst falls within one coalescing interval even on a busy host.
      await Promise.all(Array.from({ length: 5 }, (_, index) => send(`burst ${index}`)));
      await waitFor(() => devices.bob!.messages().at(-1)?.count === countBefore + 5, 8000, 'the coalesced push');
      const received = devices.bob!.messages().slice(before);
      expect(received.length).toBeLessThanOrEqual(2);
      expect(new Set(received.map((message) => message.tag))).toEqual(new Set([`chat:${chatId}`]));
    });

    it('marks a delivery opened from its receipt, and refuses a forged receipt', async () => {
      const last = devices.bob!.messages().at(-1)!;
      expect((await call(server, 'POST', '/api/v1/push/opened', { body: { receipt: last.receipt } })).status).toBe(204);
      const states = await ledger(last.seq as number);
      expect(states.find((delivery) => delivery.userId === others.bob.user.id)?.state).toBe('opened');
      const forged = `${chatId}.1.${states[0]!.subscriptionId}.AAAA`;
      expect((await call(server, 'POST', '/api/v1/push/opened', { body: { receipt: forged } })).body).toMatchObject({ error: { code: 'PUSH_RECEIPT_INVALID' } });
    });

    it('shows message text only to a recipient who turned previews on', async () => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      await call(server, 'POST', '/api/v1/push/opened', { body: { receipt: devices.bob!.messages().at(-1)!.receipt } });
      expect((await call(server, 'PUT', '/api/v1/push/settings', { token: others.bob.accessToken, body: { previews: true } })).status).toBe(200);
      const before = devices.bob!.messages().length;
      await send('low tide at noon');
      await waitFor(() => devices.bob!.messages().length > before, 3000, 'the preview push');
      expect(devices.bob!.messages().at(-1)!.body).toBe(`${alice.user.displayName}: low tide at noon`);
      await call(server, 'PUT', '/api/v1/push/settings', { token: others.bob.accessToken, body: { previews: false } });
    });

    /** The ledger entry of one message for one device (or the user's only device), once it reaches `wanted` or time is up. */
    const stateOf = async (seq: number, who: { userId?: string; subscriptionId?: string }, wanted: string, timeoutMs = 3000) => {
      const deadline = Date.now() + timeoutMs;
      let delivery: Delivery | undefined;
      while (Date.now() < deadline) {
        delivery = (await ledger(seq)).find((entry) => entry.userId === who.userId || entry.subscriptionId === who.subscriptionId);
        if (delivery?.state === wanted) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return delivery;
    };

    it('removes a subscription the push service answers 410 for', async () => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      devices.bob!.expire();
      const seq = await send('into the void');
      expect((await stateOf(seq, { userId: others.bob.user.id }, 'gone'))?.state).toBe('gone');
      const left = await call<{ subscriptions: unknown[] }>(server, 'GET', '/api/v1/push/subscriptions', { token: others.bob.accessToken });
      expect(left.body.subscriptions).toEqual([]);
    });

    it('retries a failing push service, waiting as long as its Retry-After asks', async () => {
      const flaky = await scriptedPushService([{ status: 503, headers: { 'retry-after': '1' } }, { status: 201 }]);
      const device = await pushService.subscribe(publicKey);
      const subscriptionId = await subscribe(others.bob.accessToken, { endpoint: `${flaky.url}/push/bob`, keys: device.keys });
      const seq = await send('are you there?');
      const delivery = await stateOf(seq, { subscriptionId }, 'accepted', 5000);
      expect(delivery).toMatchObject({ state: 'accepted', detail: 'after 2 attempts' });
      expect(flaky.hits).toHaveLength(2);
      expect(flaky.hits[1]! - flaky.hits[0]!).toBeGreaterThanOrEqual(950);
      await flaky.close();
    });

    it('does not follow a redirect from a push service', async () => {
      const target = await scriptedPushService([{ status: 201 }]);
      const redirector = await scriptedPushService([{ status: 307, headers: { location: `${target.url}/elsewhere` } }]);
      const device = await pushService.subscribe(publicKey);
      const subscriptionId = await subscribe(others.carol.accessToken, { endpoint: `${redirector.url}/push/carol`, keys: device.keys });
      const seq = await send('follow me');
      const delivery = await stateOf(seq, { subscriptionId }, 'failed');
      expect(delivery?.detail).toContain('redirect');
      expect(redirector.hits).toHaveLength(1);
      expect(target.hits).toHaveLength(0);
      await Promise.all([target.close(), redirector.close()]);
    });

    it('holds back notifications past a device’s budget, over all its chats', async () => {
      await call(server, 'PUT', `/api/v1/chats/${chatId}/mute`, { token: others.dave.accessToken, body: { until: null } });
      // Messages in turns of their own (the turns here are 300 ms) until one is held back.
      let held: Delivery | undefined;
      for (let index = 0; index < 20 && held?.state !== 'limited'; index++) {
        const seq = await send(`turn ${index}`);
        await new Promise((resolve) => setTimeout(resolve, 350));
        held = await stateOf(seq, { userId: others.dave.user.id }, 'limited', 150);
      }
      expect(held).toMatchObject({ state: 'limited', detail: 'over 8 notifications a minute for this device' });
      // Every notification Dave's device got in this file's first minute, this chat's first one included.
      expect(devices.dave!.messages()).toHaveLength(8);
    });

    it('opens the breaker of a push service that keeps failing, and keeps pushing through the others', async () => {
      const down = await scriptedPushService([{ status: 500 }]);
      const up = await scriptedPushService([{ status: 201 }]);
      const [ulla, vik] = [await registerUser(server), await registerUser(server)];
      const group = await call<{ id: string }>(server, 'POST', '/api/v1/chats', {
        token: alice.accessToken,
        body: { type: 'group', title: 'Two vendors', memberIds: [ulla.user.id, vik.user.id] },
      });
      await subscribe(ulla.accessToken, { endpoint: `${down.url}/push/ulla`, keys: browserKeys() });
      await subscribe(vik.accessToken, { endpoint: `${up.url}/push/vik`, keys: browserKeys() });
      const sendHere = async (text: string) =>
        (
          await call<{ seq: number }>(server, 'POST', `/api/v1/chats/${group.body.id}/messages`, {
            token: alice.accessToken,
            body: { clientMsgId: `m-${Math.random()}`, text },
          })
        ).body.seq;
      const statesOf = async (seq: number) =>
        Object.fromEntries(
          (await call<{ deliveries: Delivery[] }>(server, 'GET', `/api/v1/admin/push/messages/${group.body.id}/${seq}`, { token: adminToken })).body.deliveries.map(
            (delivery) => [delivery.userId, delivery],
          ),
        );
      // 500s (each delivery tried 3 times here) until the failing service's breaker opens (KAIF_BREAKER_FAILURES in a row).
      for (let turn = 0; turn < 10 && (await breakersOf(server))[`push:${down.url}`] !== 'open'; turn++) {
        await sendHere(`turn ${turn}`);
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
      expect(await breakersOf(server)).toMatchObject({ [`push:${down.url}`]: 'open', [`push:${up.url}`]: 'closed' });
      // A push service any subscriber may name is not this node's health.
      expect(((await (await fetch(`${server.opsUrl}/health`)).json()) as { status: string }).status).toBe('healthy');
      const downHits = down.hits.length;
      const upHits = up.hits.length;
      const seq = await sendHere('still reaching vik?');
      await eventually(async () => (await statesOf(seq))[vik.user.id]?.state === 'accepted', 3000, 50);
      await eventually(async () => (await statesOf(seq))[ulla.user.id]?.state === 'failed', 3000, 50);
      expect((await statesOf(seq))[ulla.user.id]?.detail).toBe(`push:${down.url} is unavailable; retry later`);
      expect(up.hits.length).toBe(upHits + 1);
      // The open breaker fails fast: nothing more reaches the failing service.
      expect(down.hits.length).toBe(downHits);
      await Promise.all([down.close(), up.close()]);
    });
  });
}

describe('push endpoints without the development setting (SSRF)', () => {
  let server: TestServer;
  let user: RegisteredUser;
  const keys = { p256dh: `B${'A'.repeat(86)}`, auth: 'A'.repeat(22) };
  /** Where the redirects point: on loopback, counting what reaches it. */
  let target: Awaited<ReturnType<typeof scriptedPushService>>;
  /** A push service answering `/push/<status>` with that redirect; its origin alone is allowed (KAIF_PUSH_ALLOW_ORIGINS). */
  let redirector: Awaited<ReturnType<typeof scriptedPushService>>;
  const redirects: Record<string, () => string> = {
    301: () => `${target.url}/moved`,
    302: () => `http://127.0.0.1:${new URL(target.url).port}/found`,
    307: () => 'http://10.0.0.1/push',
    308: () => 'https://169.254.169.254/latest/meta-data/',
  };

  beforeAll(async () => {
    target = await scriptedPushService([{ status: 201 }]);
    redirector = await scriptedPushService((path) => {
      const status = path.split('/').at(-1)!;
      return { status: Number(status), headers: { location: redirects[status]!() } };
    });
    server = await startTestServer({ env: { KAIF_PUSH_ALLOW_ORIGINS: redirector.url } });
    user = await registerUser(server);
  });
  afterAll(async () => {
    await server?.stop();
    await Promise.all([target?.close(), redirector?.close()]);
  });

  it.each([
    ['plain http', 'http://127.0.0.1/push'],
    ['the metadata address', 'https://169.254.169.254/latest'],
    ['a private address', 'https://10.0.0.1/push'],
    ['a host name resolving to loopback', 'https://localhost/push'],
    ['an IPv6 loopback literal', 'https://[::1]/push'],
    ['an IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/push'],
    ['a decimal loopback', 'https://2130706433/push'],
  ])('refuses %s', async (_what, endpoint) => {
    const reply = await call(server, 'POST', '/api/v1/push/subscriptions', { token: user.accessToken, body: { endpoint, keys } });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: { code: 'PUSH_ENDPOINT_REFUSED' } });
  });

  it('mutes only chats the caller is in, and validates the time', async () => {
    const chat = await call<{ id: string }>(server, 'POST', '/api/v1/chats', { token: user.accessToken, body: { type: 'group', title: 'solo' } });
    const stranger = await registerUser(server);
    const until = new Date(Date.now() + 60_000).toISOString();
    expect((await call(server, 'PUT', `/api/v1/chats/${chat.body.id}/mute`, { token: stranger.accessToken, body: { until } })).body).toMatchObject({
      error: { code: 'CHAT_NOT_FOUND' },
    });
    expect((await call(server, 'PUT', `/api/v1/chats/${chat.body.id}/mute`, { token: user.accessToken, body: { until: 'soon' } })).status).toBe(400);
    const muted = await call(server, 'PUT', `/api/v1/chats/${chat.body.id}/mute`, { token: user.accessToken, body: { until } });
    expect(muted.body).toEqual({ chatId: chat.body.id, mutedUntil: until });
    expect((await call(server, 'GET', `/api/v1/chats/${chat.body.id}/mute`, { token: user.accessToken })).body).toEqual({ chatId: chat.body.id, mutedUntil: until });
    await call(server, 'PUT', `/api/v1/chats/${chat.body.id}/mute`, { token: user.accessToken, body: { until: null } });
    expect((await call(server, 'GET', `/api/v1/chats/${chat.body.id}/mute`, { token: user.accessToken })).body).toEqual({ chatId: chat.body.id, mutedUntil: null });
  });

  it('documents the push and mute endpoints in OpenAPI', async () => {
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(document.paths['/api/v1/chats/{id}/mute'] ?? {})).toEqual(expect.arrayContaining(['get', 'put']));
    expect(Object.keys(document.paths['/api/v1/push/subscriptions'] ?? {})).toEqual(expect.arrayContaining(['get', 'post']));
    expect(document.paths['/api/v1/push/subscriptions/{id}']).toHaveProperty('delete');
    expect(document.paths['/api/v1/push/vapid-public-key']).toHaveProperty('get');
  });

  it('refuses the redirect target as an endpoint: only the allowed origin is exempt', async () => {
    const reply = await call(server, 'POST', '/api/v1/push/subscriptions', { token: user.accessToken, body: { endpoint: `${target.url}/push`, keys } });
    expect(reply.body).toMatchObject({ error: { code: 'PUSH_ENDPOINT_REFUSED' } });
  });

  it('never follows a push service’s redirect to loopback or a private address, and records why', async () => {
    const adminToken = await newAdmin(server);
    const recipient = await registerUser(server);
    const chat = await call<{ id: string }>(server, 'POST', '/api/v1/chats', {
      token: user.accessToken,
      body: { type: 'group', title: 'Redirects', memberIds: [recipient.user.id] },
    });
    const byStatus: Record<string, string> = {};
    for (const status of Object.keys(redirects)) {
      const reply = await call<{ id: string }>(server, 'POST', '/api/v1/push/subscriptions', {
        token: recipient.accessToken,
        body: { endpoint: `${redirector.url}/push/${status}`, keys: browserKeys() },
      });
      expect(reply.status).toBe(201);
      byStatus[reply.body.id] = status;
    }
    const sent = await call<{ seq: number }>(server, 'POST', `/api/v1/chats/${chat.body.id}/messages`, {
      token: user.accessToken,
      body: { clientMsgId: 'redirected', text: 'where does this go?' },
    });
    const ledger = async () =>
      (await call<{ deliveries: Delivery[] }>(server, 'GET', `/api/v1/admin/push/messages/${chat.body.id}/${sent.body.seq}`, { token: adminToken })).body
        .deliveries;
    await eventually(async () => (await ledger()).filter((delivery) => delivery.state === 'failed').length === 4, 5000, 50);
    const details = Object.fromEntries((await ledger()).map((delivery) => [byStatus[delivery.subscriptionId], delivery.detail]));
    const targetHost = new URL(target.url).host;
    expect(details).toEqual({
      301: `push service redirected (301) to ${targetHost}; redirects are not followed`,
      302: `push service redirected (302) to ${targetHost}; redirects are not followed`,
      307: 'push service redirected (307) to 10.0.0.1; redirects are not followed',
      308: 'push service redirected (308) to 169.254.169.254; redirects are not followed',
    });
    expect(redirector.hits).toHaveLength(4);
    expect(target.hits).toHaveLength(0);
  });

  it('shows each push service’s breaker in /health; redirects do not count toward it', async () => {
    expect(await breakersOf(server)).toMatchObject({ [`push:${redirector.url}`]: 'closed' });
  });
});
