import { describe, expect, it } from 'vitest';
import { type HealthCheck, runHealthChecks } from './health.js';

const check = (name: string, essential: boolean, status: 'up' | 'down' | 'throws' | 'hangs'): HealthCheck => ({
  name,
  essential,
  check: async () => {
    if (status === 'throws') throw new Error(`${name} refused`);
    if (status === 'hangs') return new Promise(() => undefined);
    return { status };
  },
});

describe('health decisions', () => {
  it('is healthy when every dependency is up and every breaker closed', async () => {
    const report = await runHealthChecks([check('database', true, 'up'), check('kv', false, 'up')], [{ name: 'redis', state: 'closed' }]);
    expect(report.status).toBe('healthy');
  });

  it('is degraded, not down, when a non-essential dependency (Redis, NATS) is down', async () => {
    const report = await runHealthChecks([check('database', true, 'up'), check('bus', false, 'throws')], []);
    expect(report.status).toBe('degraded');
    expect(report.checks.bus).toMatchObject({ status: 'down', detail: 'bus refused', essential: false });
  });

  it('is degraded while any breaker is open or half-open', async () => {
    const report = await runHealthChecks([check('database', true, 'up')], [{ name: 'nats', state: 'half-open' }]);
    expect(report.status).toBe('degraded');
    expect(report.breakers).toEqual({ nats: 'half-open' });
  });

  it('shows but is not degraded by an open breaker around a service a user chose (a push service)', async () => {
    const report = await runHealthChecks([check('database', true, 'up')], [{ name: 'push:https://dead.example', state: 'open', degradesNode: false }]);
    expect(report.status).toBe('healthy');
    expect(report.breakers).toEqual({ 'push:https://dead.example': 'open' });
  });

  it('is unhealthy when the database is down, and a hanging check counts as down', async () => {
    const report = await runHealthChecks([check('database', true, 'hangs'), check('kv', false, 'up')], []);
    expect(report.status).toBe('unhealthy');
    expect(report.checks.database?.status).toBe('down');
  }, 10_000);
});
