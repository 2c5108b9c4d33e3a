import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../support/test-server.js';

describe('HTTP conventions', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers an unknown route with a coded 404 and a request id', async () => {
    const response = await fetch(`${server.url}/api/v1/nothing-here`);
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toEqual({
      error: { code: 'ROUTE_NOT_FOUND', message: 'No endpoint GET /api/v1/nothing-here' },
    });
  });

  it('echoes the client’s x-request-id', async () => {
    const response = await fetch(`${server.url}/ready`, { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(response.headers.get('x-request-id')).toBe('trace-abc.123');
  });

  it('replaces an x-request-id that is not a sane token', async () => {
    const response = await fetch(`${server.url}/ready`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(response.headers.get('x-request-id')).not.toBe('bad id with spaces');
  });

  it('reports ready, healthy and the roles it runs', async () => {
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    const health = await fetch(`${server.opsUrl}/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { status: string; checks: Record<string, { status: string }>; roles: string[] };
    expect(body.status).toBe('healthy');
    expect(Object.keys(body.checks)).toEqual(expect.arrayContaining(['database', 'kv', 'bus']));
    expect(body.roles).toEqual(['api', 'realtime', 'wire', 'worker']);
  });

  it('exposes Prometheus metrics including the HTTP histogram', async () => {
    await fetch(`${server.url}/ready`);
    const response = await fetch(`${server.opsUrl}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('kaif_http_request_duration_seconds_bucket');
    expect(text).toContain('kaif_process_cpu_seconds_total');
  });

  it('publishes the OpenAPI document and the explorer', async () => {
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as { openapi: string };
    expect(document.openapi).toMatch(/^3\./);
    const docs = await fetch(`${server.url}/api/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  it('writes one structured log line per request with its request id', async () => {
    await fetch(`${server.url}/ready`, { headers: { 'x-request-id': 'log-check-1' } });
    const line = server.logs.find((entry) => entry.reqId === 'log-check-1');
    expect(line).toMatchObject({ msg: 'request', route: '/ready', status: 200, method: 'GET' });
  });
});

describe('API flood control', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { KAIF_RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers 429 FLOOD_WAIT with retryAfter and Retry-After once an IP exceeds its limit', async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let attempt = 0; attempt < 16; attempt++) {
      last = await fetch(`${server.url}/api/v1/does-not-matter`);
      statuses.push(last.status);
    }
    expect(statuses.slice(0, 15).every((status) => status === 404)).toBe(true);
    expect(last!.status).toBe(429);
    const body = (await last!.json()) as { error: { code: string; retryAfter: number } };
    expect(body.error.code).toBe('FLOOD_WAIT');
    expect(body.error.retryAfter).toBeGreaterThan(0);
    expect(Number(last!.headers.get('retry-after'))).toBe(body.error.retryAfter);
  });

  it('never limits the operations endpoints', async () => {
    for (let attempt = 0; attempt < 20; attempt++) expect((await fetch(`${server.url}/ready`)).status).toBe(200);
  });
});
