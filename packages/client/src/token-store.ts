/** What a signed-in client holds. */
export interface StoredTokens {
  readonly accessToken: string;
  /** Absent in refresh-cookie mode: the browser keeps it where script cannot read it. */
  readonly refreshToken?: string;
}

/**
 * Where the client keeps its tokens between calls (and, if the app wants,
 * between runs). Refresh tokens rotate on every use, so `save` must replace
 * the old pair.
 */
export interface TokenStore {
  load(): StoredTokens | null | Promise<StoredTokens | null>;
  save(tokens: StoredTokens | null): void | Promise<void>;
}

export function memoryTokenStore(initial: StoredTokens | null = null): TokenStore {
  let tokens = initial;
  return {
    load: () => tokens,
    save: (next) => {
      tokens = next;
    },
  };
}
