import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { EndpointGuard } from './endpoint-guard.js';

const resolvingTo =
  (...answers: (readonly string[])[]) =>
  async (): Promise<LookupAddress[]> => {
    const next = answers.length > 1 ? answers.shift()! : answers[0]!;
    return next.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

const lookupOnce = (guard: EndpointGuard, hostname: string) =>
  new Promise<{ error: Error | null; address: unknown }>((resolve) => {
    guard.socketLookup(hostname, {}, (error, address) => resolve({ error, address }));
  });

describe('push endpoint guard', () => {
  it('accepts an https endpoint whose every address is public', async () => {
    const guard = new EndpointGuard(false, resolvingTo(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c']));
    await expect(guard.check('https://push.example.net/send/abc')).resolves.toBeInstanceOf(URL);
  });

  it('refuses a host name when any one of its addresses is private', async () => {
    const guard = new EndpointGuard(false, resolvingTo(['93.184.215.14', '10.1.2.3']));
    await expect(guard.check('https://mixed.example.net/')).rejects.toMatchObject({ code: 'PUSH_ENDPOINT_REFUSED' });
  });

  it('refuses metadata, carrier-grade NAT and unique-local addresses', async () => {
    const guard = new EndpointGuard(false, resolvingTo(['127.0.0.1']));
    for (const endpoint of ['https://169.254.169.254/', 'https://100.100.100.200/', 'https://[fd00:ec2::254]/', 'https://0.0.0.0/']) {
      await expect(guard.check(endpoint), endpoint).rejects.toMatchObject({ code: 'PUSH_ENDPOINT_REFUSED' });
    }
  });

  it('checks the addresses again when the socket connects, so a rebinding answer is refused', async () => {
    const guard = new EndpointGuard(false, resolvingTo(['93.184.215.14'], ['127.0.0.1']));
    await guard.check('https://rebind.example.net/');
    const connecting = await lookupOnce(guard, 'rebind.example.net');
    expect(connecting.error).toMatchObject({ code: 'PUSH_ENDPOINT_REFUSED' });
  });

  it('connects the socket to an address it checked', async () => {
    const guard = new EndpointGuard(false, resolvingTo(['93.184.215.14']));
    expect(await lookupOnce(guard, 'push.example.net')).toEqual({ error: null, address: '93.184.215.14' });
  });

  it('allows private hosts and http only with the development setting', async () => {
    const guard = new EndpointGuard(true, resolvingTo(['127.0.0.1']));
    await expect(guard.check('http://localhost:8090/notify/x')).resolves.toBeInstanceOf(URL);
    await expect(guard.check('ftp://localhost/')).rejects.toMatchObject({ code: 'PUSH_ENDPOINT_REFUSED' });
  });

  it('exempts only the exact origins allowed for development, not their host on another port', async () => {
    const guard = new EndpointGuard(false, resolvingTo(['127.0.0.1']), ['http://127.0.0.1:8090']);
    await expect(guard.check('http://127.0.0.1:8090/push/1')).resolves.toBeInstanceOf(URL);
    for (const endpoint of ['http://127.0.0.1:8091/push/1', 'https://127.0.0.1:8090/push/1', 'https://10.0.0.1/push', 'http://user:pw@127.0.0.1:8090/']) {
      await expect(guard.check(endpoint), endpoint).rejects.toMatchObject({ code: 'PUSH_ENDPOINT_REFUSED' });
    }
  });
});
