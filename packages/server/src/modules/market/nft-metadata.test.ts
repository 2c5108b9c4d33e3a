import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointGuard } from '../../platform/http/endpoint-guard.js';
import { createDependencyPolicy } from '../../platform/resilience/dependency-policy.js';
import { MAX_METADATA_BYTES, NftMetadataReader } from './nft-metadata.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const json = (value: unknown) => `data:application/json;base64,${Buffer.from(JSON.stringify(value)).toString('base64')}`;

describe('reading an NFT’s metadata and image', () => {
  let server: Server;
  let origin: string;
  const asked: string[] = [];
  let flaky = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      asked.push(request.url ?? '');
      if (request.url === '/ipfs/bafycat/7.json') return response.end(JSON.stringify({ name: 'IPFS cat', image: 'ipfs://bafycat/7.png' }));
      if (request.url === '/ipfs/bafycat/7.png') return response.end(PNG);
      if (request.url === '/meta.json') return response.end(JSON.stringify({ name: 'Cat\u0007 #1', description: 'A cat', image: `${origin}/cat.png` }));
      if (request.url === '/cat.png') return response.end(PNG);
      if (request.url === '/moved.json') return response.writeHead(302, { location: `${origin}/meta.json` }).end();
      if (request.url === '/flaky.json') return (flaky++ === 0 ? response.writeHead(503) : response).end(JSON.stringify({ name: 'Second try' }));
      if (request.url === '/huge.json') return response.end(`{"name":"${'x'.repeat(MAX_METADATA_BYTES)}"}`);
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const reader = (allowPrivate: boolean, maxAttempts = 1) =>
    new NftMetadataReader(new EndpointGuard(allowPrivate), createDependencyPolicy('test-nft-metadata', { logger: pino({ level: 'silent' }), registry: new Registry() }, { maxAttempts }), {
      ipfsGateway: `${origin}/ipfs/`,
      timeoutMs: 2000,
    });

  it('reads data: metadata with a data: image, without the network', async () => {
    const read = await reader(false).read(json({ name: 'Inline cat', description: 'On chain', image: `data:image/png;base64,${PNG.toString('base64')}` }));
    expect(read).toEqual({ name: 'Inline cat', description: 'On chain', image: new Uint8Array(PNG) });
  });

  it('reads https-style metadata from a local server when private hosts are allowed, cleaning its text', async () => {
    const read = await reader(true).read(`${origin}/meta.json`);
    expect(read).toEqual({ name: 'Cat #1', description: 'A cat', image: new Uint8Array(PNG) });
  });

  it('reads ipfs:// metadata and image through the gateway', async () => {
    const read = await reader(true).read('ipfs://bafycat/7.json');
    expect(read).toEqual({ name: 'IPFS cat', image: new Uint8Array(PNG) });
  });

  it('refuses a loopback address by default and never connects to it', async () => {
    asked.length = 0;
    const read = await reader(false).read(`${origin}/meta.json`);
    expect(read.image).toBeUndefined();
    expect(read.problem).toMatch(/it must use https/);
    const https = await reader(false).read('https://127.0.0.1/meta.json');
    expect(https.problem).toMatch(/127\.0\.0\.1 is not a public address \(loopback\)/);
    const metadataService = await reader(false).read('https://169.254.169.254/latest/meta-data.json');
    expect(metadataService.problem).toMatch(/not a public address \(linkLocal\)/);
    expect(asked).toEqual([]);
  });

  it('keeps the text when the image is refused, and says why', async () => {
    const read = await reader(false).read(json({ name: 'Sneaky', image: 'http://10.0.0.5/secret.png' }));
    expect(read).toEqual({ name: 'Sneaky', problem: 'image: This address is not allowed: it must use https' });
  });

  it('does not follow redirects, stops past the size cap, and reports a missing file', async () => {
    const r = reader(true);
    expect((await r.read(`${origin}/moved.json`)).problem).toBe('metadata: answered 302');
    expect((await r.read(`${origin}/huge.json`)).problem).toBe('metadata: too large');
    expect((await r.read(json({ name: 'Lost', image: `${origin}/gone.png` }))).problem).toBe('image: answered 404');
    expect((await r.read(undefined)).problem).toBe('the token has no tokenURI');
    expect((await r.read('data:text/plain,not json')).problem).toMatch(/^metadata: /);
  });

  it('retries a host that fails (5xx) but not one that answers the file is not there', async () => {
    const r = reader(true, 3);
    asked.length = 0;
    expect(await r.read(`${origin}/flaky.json`)).toEqual({ name: 'Second try', problem: 'metadata has no image' });
    expect(asked).toEqual(['/flaky.json', '/flaky.json']);
    asked.length = 0;
    expect((await r.read(`${origin}/absent.json`)).problem).toBe('metadata: answered 404');
    expect(asked).toEqual(['/absent.json']);
  });
});
