import type { Principal } from '../../platform/http/principal.js';
import type { IdentityApi } from '../identity/api.js';
import { type RevokedSessions, covers } from './session-revocations.js';

interface Entry {
  readonly principal: Promise<Principal>;
  readonly expiresAt: number;
}

/**
 * Verified UDP tokens, kept in memory for `ttlMs` so a stream of datagrams
 * costs one identity check, not one each. A revoked session stops working at
 * once on this node (revocation events evict it) and within `ttlMs` on every
 * node. Failed checks are not kept. Concurrent datagrams with the same new
 * token share one check.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly identity: IdentityApi,
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The token's principal; throws as `IdentityApi.authenticate` does. */
  principalOf(token: string, now = Date.now()): Promise<Principal> {
    const cached = this.entries.get(token);
    if (cached && cached.expiresAt > now) return cached.principal;
    if (cached) this.entries.delete(token);
    const principal = this.identity.authenticate(token);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(token, { principal, expiresAt: now + this.ttlMs });
    principal.catch(() => {
      if (this.entries.get(token)?.principal === principal) this.entries.delete(token);
    });
    return principal;
  }

  forget(revoked: RevokedSessions): void {
    for (const [token, entry] of this.entries) {
      void entry.principal.then(
        (principal) => {
          if (covers(revoked, principal.userId, principal.sessionId) && this.entries.get(token) === entry) {
            this.entries.delete(token);
          }
        },
        () => {},
      );
    }
  }
}
