import type { SessionId, UserId } from '@kaif/protocol';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Principal } from '../../platform/http/principal.js';
import type { IdentityApi } from '../identity/api.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

function countingIdentity(): IdentityApi & { calls: number } {
  const identity = {
    calls: 0,
    async authenticate(token: string): Promise<Principal> {
      identity.calls++;
      if (token === 'bad') throw new KaifError('TOKEN_INVALID');
      return { userId: `user-${token}` as UserId, sessionId: `session-${token}` as SessionId, role: 'user' };
    },
    getUser: async () => undefined,
    getUsers: async () => [],
    presenceVisibilityOf: async () => 'contacts' as const,
    assertSecondFactor: async () => undefined,
  };
  return identity;
}

describe('VerifiedTokenCache', () => {
  it('asks identity once per token within the TTL, concurrent datagrams included, and again after it', async () => {
    const identity = countingIdentity();
    const cache = new VerifiedTokenCache(identity, 60, 10);
    const [first, second] = await Promise.all([cache.principalOf('a'), cache.principalOf('a')]);
    expect(first).toEqual(second);
    expect(first.userId).toBe('user-a');
    await cache.principalOf('a');
    expect(identity.calls).toBe(1);
    await delay(80);
    await cache.principalOf('a');
    expect(identity.calls).toBe(2);
  });

  it('does not keep a failed check', async () => {
    const identity = countingIdentity();
    const cache = new VerifiedTokenCache(identity, 1_000, 10);
    await expect(cache.principalOf('bad')).rejects.toThrow(KaifError);
    await expect(cache.principalOf('bad')).rejects.toThrow(KaifError);
    expect(identity.calls).toBe(2);
  });

  it('forgets the tokens of revoked sessions at once', async () => {
    const identity = countingIdentity();
    const cache = new VerifiedTokenCache(identity, 60_000, 10);
    await cache.principalOf('a');
    await cache.principalOf('b');
    cache.forget({ userId: 'user-a' as UserId, sessionIds: ['session-a' as SessionId] });
    await cache.principalOf('a');
    await cache.principalOf('b');
    expect(identity.calls).toBe(3);
  });

  it('keeps at most maxEntries tokens, forgetting the least recently used', async () => {
    const identity = countingIdentity();
    const cache = new VerifiedTokenCache(identity, 60_000, 2);
    await cache.principalOf('a');
    await cache.principalOf('b');
    await cache.principalOf('a');
    await cache.principalOf('c');
    await cache.principalOf('a');
    expect(identity.calls).toBe(3);
    await cache.principalOf('b');
    expect(identity.calls).toBe(4);
  });
});
