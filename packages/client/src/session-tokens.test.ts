import { describe, expect, it } from 'vitest';
import { SessionTokens, tokenExpiry } from './session-tokens.js';
import { memoryTokenStore } from './token-store.js';

const jwt = (exp: number) => `h.${btoa(JSON.stringify({ exp })).replace(/=+$/, '')}.s`;

describe('SessionTokens', () => {
  it('reads the expiry from the token payload', () => {
    expect(tokenExpiry(jwt(1234))).toBe(1234);
    expect(tokenExpiry('garbage')).toBeUndefined();
  });

  it('shares one refresh among concurrent callers', async () => {
    let calls = 0;
    const store = memoryTokenStore({ accessToken: jwt(0), refreshToken: 'r1' });
    const tokens = new SessionTokens(store, async (refreshToken) => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return { accessToken: jwt(10_000_000_000), refreshToken: `${refreshToken}+` };
    });
    const results = await Promise.all([tokens.refresh(), tokens.refresh(), tokens.accessToken()]);
    expect(calls).toBe(1);
    expect(new Set(results).size).toBe(1);
    expect((await store.load())?.refreshToken).toBe('r1+');
  });

  it('refreshes an access token that is about to expire before using it', async () => {
    const now = 1_000_000_000_000;
    const store = memoryTokenStore({ accessToken: jwt(now / 1000 + 30), refreshToken: 'r' });
    const fresh = jwt(now / 1000 + 900);
    const tokens = new SessionTokens(store, async () => ({ accessToken: fresh, refreshToken: 'r2' }), { now: () => now });
    expect(await tokens.accessToken()).toBe(fresh);
  });

  it('keeps a token with plenty of time left', async () => {
    const now = 1_000_000_000_000;
    const current = jwt(now / 1000 + 900);
    const tokens = new SessionTokens(memoryTokenStore({ accessToken: current, refreshToken: 'r' }), async () => {
      throw new Error('should not refresh');
    }, { now: () => now });
    expect(await tokens.accessToken()).toBe(current);
  });

  it('refreshes through the cookie with nothing stored, as a reloaded browser tab does', async () => {
    const store = memoryTokenStore();
    const presented: (string | undefined)[] = [];
    const tokens = new SessionTokens(store, async (refreshToken) => {
      presented.push(refreshToken);
      return { accessToken: 'fresh' };
    }, { refreshCookie: true });
    expect(await tokens.refresh()).toBe('fresh');
    expect(presented).toEqual([undefined]);
    expect(await store.load()).toEqual({ accessToken: 'fresh' });
  });

  it('does not refresh without a refresh token outside cookie mode', async () => {
    const tokens = new SessionTokens(memoryTokenStore(), async () => ({ accessToken: 'never' }));
    await expect(tokens.refresh()).rejects.toThrow('not signed in');
  });
});
