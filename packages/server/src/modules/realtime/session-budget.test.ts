import { describe, expect, it } from 'vitest';
import type { FloodLimits } from '../../platform/flood/flood-limits.js';
import { KaifError } from '../../platform/http/kaif-error.js';
import { SessionBudget } from './session-budget.js';

/** A store that allows `allowed` points in all, then refuses with a 30 s wait, and records who was charged. */
function countingLimits(allowed: number) {
  const charged: string[] = [];
  let left = allowed;
  const consume = async (key: string, points = 1) => {
    charged.push(key);
    left -= points;
    if (left < 0) throw new KaifError('FLOOD_WAIT', undefined, { retryAfter: 30 });
    return left;
  };
  const limits: FloodLimits = {
    consumeUser: (userId, points) => consume(`user:${userId}`, points),
    consumeIp: async (ip, points) => {
      await consume(`ip:${ip}`, points);
    },
  };
  return { limits, charged };
}

describe('a session’s draw on the shared budgets', () => {
  it('charges the address before authentication and the user after', async () => {
    const { limits, charged } = countingLimits(10);
    const budget = new SessionBudget(limits, '203.0.113.7');
    await budget.charge(undefined, 1);
    await budget.charge('u1', 2);
    expect(charged).toEqual(['ip:203.0.113.7', 'user:u1']);
  });

  it('refuses on its own, without asking the store, until the wait it was given is over', async () => {
    const { limits, charged } = countingLimits(1);
    const budget = new SessionBudget(limits, '203.0.113.7');
    await budget.charge('u1', 1);
    await expect(budget.charge('u1', 1)).rejects.toMatchObject({ code: 'FLOOD_WAIT', retryAfter: 30 });
    const again = await budget.charge('u1', 1).catch((error: unknown) => error as KaifError);
    expect(again).toMatchObject({ code: 'FLOOD_WAIT' });
    expect((again as KaifError).retryAfter).toBeGreaterThanOrEqual(29);
    expect(charged).toHaveLength(2);
  });
});
