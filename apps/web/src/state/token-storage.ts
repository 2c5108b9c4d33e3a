import type { StoredTokens, TokenStore } from '@kaif/client';

const KEY = 'kaif.tokens';

/**
 * Keeps the token pair across reloads in localStorage. The refresh token
 * rotates on every use, so each save replaces the pair; a corrupt entry
 * reads as signed out.
 */
export function localStorageTokenStore(storage: Storage = localStorage): TokenStore {
  return {
    load() {
      try {
        const value = JSON.parse(storage.getItem(KEY) ?? 'null') as Partial<StoredTokens> | null;
        return value?.accessToken && value.refreshToken ? { accessToken: value.accessToken, refreshToken: value.refreshToken } : null;
      } catch {
        return null;
      }
    },
    save(tokens) {
      if (tokens) storage.setItem(KEY, JSON.stringify(tokens));
      else storage.removeItem(KEY);
    },
  };
}
