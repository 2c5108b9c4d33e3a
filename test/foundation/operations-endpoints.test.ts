import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthCheck } from '../../packages/server/src/platform/health/health.js';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { authHeaders, registerUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { newAdmin } from '../identity/identity-http.js';

/** A health check that counts how often it runs, as a database check would query. */
function countingCheck() {
  const check = { name: 'counted', essential: false, runs: 0, async check() {
    check.runs++;
    return { status: 'up' as const };
  } };
  return check satisfies HealthCheck;
}

describe('operations endpoints', () => {
  const counted = countingCheck();
  const modules = [...MODULES, { name: 'ops' as const, init: async () => ({ checks: [counted] }) }];

  describe('on the main port (no KAIF_OPS_PORT)', () => {
    let server: TestServer;
    let admin: string;
    let user: string;
    beforeAll(async () => {
      server = await startTestServer({ modules, env: { KAIF_OPS_PORT: '' } });
      admin = await newAdmin(server);
      user = (await registerUser(server)).accessToken;
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('answers /health and /ready to anyone with the status only, running the checks at most once a second', async () => {
      const before = counted.runs;
      const answers = await Promise.all(Array.from({ length: 30 }, () => fetch(`${server.url}/health`)));
      expect(answers.map((answer) => answer.status)).toEqual(Array(30).fill(200));
      expect(await answers[0]!.json()).toEqual({ status: 'healthy' });
      expect(counted.runs - before).toBeLessThanOrEqual(1);
      expect(await (await fetch(`${server.url}/ready`)).json()).toEqual({ status: 'ready' });
    });

    it('serves metrics and the detailed health to admins only', async () => {
      expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${server.url}/metrics`, { headers: authHeaders(user) })).status).toBe(403);
      const metrics = await fetch(`${server.url}/metrics`, { headers: authHeaders(admin) });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('kaif_http_request_duration_seconds_bucket');

      expect((await fetch(`${server.url}/api/v1/admin/health`)).status).toBe(401);
      expect((await fetch(`${server.url}/api/v1/admin/health`, { headers: authHeaders(user) })).status).toBe(403);
      const health = await fetch(`${server.url}/api/v1/admin/health`, { headers: authHeaders(admin) });
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({
        status: 'healthy',
        checks: { database: { status: 'up' }, counted: { status: 'up' } },
        roles: ['api', 'realtime', 'wire', 'worker'],
      });
    });

    it('opens no operations port', () => {
      expect(server.ports.ops).toBeUndefined();
    });
  });

  describe('with KAIF_OPS_PORT', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ env: { KAIF_OPS_PORT: '0' } });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('serves /metrics, the detailed /health and /ready there without login, on loopback by default', async () => {
      expect(server.opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const metrics = await fetch(`${server.opsUrl}/metrics`);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      expect(await metrics.text()).toContain('kaif_process_cpu_seconds_total');
      expect(await (await fetch(`${server.opsUrl}/health`)).json()).toMatchObject({ status: 'healthy', checks: { database: { status: 'up' } } });
      expect((await fetch(`${server.opsUrl}/ready`)).status).toBe(200);
      expect((await fetch(`${server.opsUrl}/api/v1/me`)).status).toBe(404);
    });

    it('keeps the main port’s /health minimal and its /metrics for admins', async () => {
      expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: 'healthy' });
      expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    });
  });
});
