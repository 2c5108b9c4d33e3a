import { createECDH, randomBytes } from 'node:crypto';
import { type IncomingHttpHeaders, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterDeps } from '../../../../../test/support/adapter-fixtures.js';
import { EndpointGuard } from './endpoint-guard.js';
import { createSendOne } from './push-sender.js';
import { createPushSender } from './push-sender-pool.js';
import { PushServicePolicies } from './push-service-policies.js';
import { WebPushTransport } from './web-push-transport.js';

const ecdh = createECDH('prime256v1');
ecdh.generateKeys();
const target = (endpoint: string) => ({ endpoint, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') } });
const message = { payload: '{"v":1}', topic: 'chat1', ttlSeconds: 60 };
const generated = webpush.generateVAPIDKeys();
const vapid = { ...generated, subject: 'mailto:ops@example.test' };
/** A name no DNS knows: only the guard's resolver can connect it. */
const HOST = 'push.example.test';

/** The transport with an in-process sender connecting through `guard`, and fresh per-origin policies. */
function transportWith(guard: EndpointGuard, breakAfter = 5) {
  const { logger, registry } = adapterDeps('push');
  const policies = new PushServicePolicies({ logger, registry }, { breakAfter });
  const sender = createSendOne({ allowPrivate: false, allowOrigins: [] }, guard);
  return { transport: new WebPushTransport(vapid, guard, sender, policies, 5000), policies };
}

describe('the Web Push transport', () => {
  let server: Server;
  let port: number;
  const received: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      received.push(request.headers);
      response.writeHead(201).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('connects through the guard’s resolver, with a VAPID token and the Topic', async () => {
    const guard = new EndpointGuard(true, async () => [{ address: '127.0.0.1', family: 4 }]);
    const { transport } = transportWith(guard);
    const outcome = await transport.send(target(`http://${HOST}:${port}/push/1`), message);
    await transport.close();
    expect(outcome).toEqual({ kind: 'accepted', attempts: 1 });
    const headers = received.at(-1)!;
    expect(headers.host).toBe(`${HOST}:${port}`);
    expect(headers.authorization).toMatch(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${generated.publicKey}$`));
    expect(headers.topic).toBe('chat1');
    expect(headers['content-encoding']).toBe('aes128gcm');
  });

  it('reuses one VAPID token per push service', async () => {
    const guard = new EndpointGuard(true, async () => [{ address: '127.0.0.1', family: 4 }]);
    const { transport } = transportWith(guard);
    await transport.send(target(`http://${HOST}:${port}/push/2`), message);
    await transport.send(target(`http://${HOST}:${port}/push/3`), message);
    await transport.close();
    expect(received.at(-1)!.authorization).toBe(received.at(-2)!.authorization);
  });

  it('does not connect when the name resolves to a private address without the development setting, and keeps the breaker closed', async () => {
    const before = received.length;
    const guard = new EndpointGuard(false, async () => [{ address: '127.0.0.1', family: 4 }]);
    const { transport, policies } = transportWith(guard, 2);
    for (let attempt = 0; attempt < 3; attempt++) {
      const outcome = await transport.send(target(`https://${HOST}:${port}/push/4`), message);
      expect(outcome).toEqual({ kind: 'failed', detail: `This push endpoint is not allowed: ${HOST} is not a public address (loopback)` });
    }
    await transport.close();
    expect(received.length).toBe(before);
    // A refused endpoint is the subscriber's doing, not the push service failing.
    expect(policies.breakers()).toEqual([{ name: `push:https://${HOST}:${port}`, state: 'closed', degradesNode: false }]);
  });

  it('encrypts and sends from a sender thread, which reports redirects and refusals as plain answers', async () => {
    const redirecting = createServer((request, response) => {
      request.resume();
      response.writeHead(307, { location: 'http://10.0.0.1/push' }).end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    const redirectPort = (redirecting.address() as AddressInfo).port;
    const sender = createPushSender({ allowPrivate: false, allowOrigins: [`http://127.0.0.1:${port}`, `http://127.0.0.1:${redirectPort}`] }, { threads: 1, niceIncrement: 0, perThread: 4 });
    const job = (endpoint: string) => ({ ...target(endpoint), payload: '{"v":1}', ttlSeconds: 60, topic: 'chat1', authorization: 'vapid t=a.b.c, k=d', timeoutMs: 5000 });
    try {
      const before = received.length;
      expect(await sender.send(job(`http://127.0.0.1:${port}/push/5`))).toEqual({ kind: 'answered', status: 201, retryAfter: undefined, location: undefined });
      expect(received.length).toBe(before + 1);
      expect(received.at(-1)!['content-encoding']).toBe('aes128gcm');
      expect(await sender.send(job(`http://127.0.0.1:${redirectPort}/push/6`))).toEqual({
        kind: 'answered',
        status: 307,
        retryAfter: undefined,
        location: 'http://10.0.0.1/push',
      });
      // Another port on the same host is not an allowed origin.
      expect(await sender.send(job(`http://127.0.0.1:${port + 1}/push/7`))).toEqual({ kind: 'refused', detail: 'This push endpoint is not allowed: it must use https' });
    } finally {
      await sender.close();
      await new Promise((resolve) => redirecting.close(resolve));
    }
  });
});
