import type { StoredTokens, TokenStore } from './token-store.js';

/** Trades the refresh token for new tokens; `undefined` presents the refresh cookie instead. */
export type Refresher = (refreshToken: string | undefined) => Promise<StoredTokens>;

/** Seconds since the epoch at which a JWT expires, read without verifying it; undefined if unreadable. */
export function tokenExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(payload.length / 4) * 4, '='));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}

export interface SessionTokensOptions {
  /** Refresh when the access token has less than this left (default 60 s). */
  readonly refreshBeforeMs?: number;
  readonly now?: () => number;
  /** The refresh token lives in an HttpOnly cookie: a refresh needs nothing stored, so it also resumes after a reload. */
  readonly refreshCookie?: boolean;
}

/**
 * The client's access and refresh tokens. Refreshes shortly before the
 * access token expires, and at most once at a time: concurrent callers share
 * one refresh (a refresh token works once; two parallel refreshes would look
 * like reuse and sign the session out).
 */
export class SessionTokens {
  private refreshing: Promise<string> | undefined;

  private readonly refreshBeforeMs: number;
  private readonly now: () => number;
  private readonly refreshCookie: boolean;

  constructor(
    private readonly store: TokenStore,
    private readonly refresher: Refresher,
    options: SessionTokensOptions = {},
  ) {
    this.refreshBeforeMs = options.refreshBeforeMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.refreshCookie = options.refreshCookie ?? false;
  }

  async set(tokens: StoredTokens | null): Promise<void> {
    await this.store.save(tokens);
  }

  async tokens(): Promise<StoredTokens | null> {
    return this.store.load();
  }

  /** A usable access token, refreshed first if it is about to expire; null when signed out. */
  async accessToken(): Promise<string | null> {
    if (this.refreshing) return this.refreshing;
    const tokens = await this.store.load();
    if (!tokens) return null;
    const exp = tokenExpiry(tokens.accessToken);
    if (exp !== undefined && exp * 1000 - this.now() < this.refreshBeforeMs) {
      return this.refresh().catch(() => tokens.accessToken);
    }
    return tokens.accessToken;
  }

  /** Exchanges the refresh token for a new pair; concurrent calls share one request. */
  refresh(): Promise<string> {
    this.refreshing ??= (async () => {
      try {
        const tokens = await this.store.load();
        if (!tokens?.refreshToken && !this.refreshCookie) throw new Error('not signed in');
        const next = await this.refresher(tokens?.refreshToken);
        await this.store.save(next);
        return next.accessToken;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}
