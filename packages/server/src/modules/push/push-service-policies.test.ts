import { describe, expect, it } from 'vitest';
import { adapterDeps } from '../../../../../test/support/adapter-fixtures.js';
import { PushServicePolicies } from './push-service-policies.js';

const failing = () => Promise.reject(new Error('503 from the push service'));

describe('push-service policies', () => {
  it('opens the breaker of the failing push service only', async () => {
    const { logger, registry } = adapterDeps('push');
    const policies = new PushServicePolicies({ logger, registry }, { breakAfter: 2, halfOpenAfterMs: 60_000 });
    const down = policies.for('https://down.example/push/1');
    for (let call = 0; call < 2; call++) await expect(down.execute(failing)).rejects.toThrow('503');
    expect(policies.for('https://down.example/push/2')).toBe(down);
    await expect(down.execute(async () => 'sent')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect(await policies.for('https://up.example/push/3').execute(async () => 'sent')).toBe('sent');
    expect(Object.fromEntries(policies.breakers().map((breaker) => [breaker.name, breaker.state]))).toEqual({
      'push:https://down.example': 'open',
      'push:https://up.example': 'closed',
    });
  });

  it('tracks a bounded number of origins and drops the least recently used with its metric series', async () => {
    const { logger, registry } = adapterDeps('push');
    const policies = new PushServicePolicies({ logger, registry }, {}, 2);
    for (const host of ['a', 'b', 'c']) await policies.for(`https://${host}.example/push`).execute(async () => 'sent');
    expect(policies.breakers().map((breaker) => breaker.name)).toEqual(['push:https://c.example', 'push:https://b.example']);
    const metrics = await registry.metrics();
    expect(metrics).toContain('dependency="push:https://c.example"');
    expect(metrics).not.toContain('dependency="push:https://a.example"');
  });
});
