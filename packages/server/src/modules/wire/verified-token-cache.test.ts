import type { SessionId, UserId } from '@kaif/protocol';
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
  };
  return identity;
}

describe('VerifiedTokenCache', () => {
  it('asks identity once per token within the TTL, and again after it', async () => {
    const identity = countingIdentity();
    const cache = new VerifiedTokenCache(identity, 1_000, 10);
    await Promise.all([cache.principalOf('a', 0), cache.principalOf('a', 10)]);
    await cache.principalOf('a', 999);
    expect(identity.calls).toBe(1);
    await cache.principalOf('a', 1_000);
    expect(identity.calls).toBe(2);
  });

  it('does not keep a failed check', async () => {
    const identity = countingIdentity();
    const cache = new VerifiedTokenCache(identity, 1_000, 10);
    await expect(cache.principalOf('bad', 0)).rejects.toThrow(KaifError);
    await expect(cache.principalOf('bad', 1)).rejects.toThrow(KaifError);
    expect(identity.calls).toBe(2);
  });

  it('forgets the tokens of revoked sessions at once', async () => {
    const identity = countingIdentity();
    const cache = new VerifiedTokenCache(identity, 60_000, 10);
    await cache.principalOf('a', 0);
    await cache.principalOf('b', 0);
    cache.forget({ userId: 'user-a' as UserId, sessionIds: ['session-a' as SessionId] });
    await new Promise((resolve) => setImmediate(resolve));
    await cache.principalOf('a', 1);
    await cache.principalOf('b', 1);
    expect(identity.calls).toBe(3);
  });
});
