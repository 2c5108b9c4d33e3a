import { LRUCache } from 'lru-cache';
import type { Principal } from '../../platform/http/principal.js';
import type { IdentityApi } from '../identity/api.js';
import { type RevokedSessions, covers } from './session-revocations.js';

/**
 * Verified UDP tokens, kept in memory for `ttlMs` so a stream of datagrams
 * costs one identity check, not one each (lru-cache, at most `maxEntries`,
 * least recently used forgotten first). A revoked session stops working at
 * once on this node (revocation events evict it) and within `ttlMs` on every
 * node; a check still in flight when the revocation arrives may be kept, for
 * at most `ttlMs`. Failed checks are not kept. Concurrent datagrams with the
 * same new token share one check.
 */
export class VerifiedTokenCache {
  private readonly principals: LRUCache<string, Principal>;

  constructor(identity: IdentityApi, ttlMs: number, maxEntries: number) {
    this.principals = new LRUCache<string, Principal>({
      max: maxEntries,
      ttl: ttlMs,
      fetchMethod: (token) => identity.authenticate(token),
    });
  }

  /** The token's principal; throws as `IdentityApi.authenticate` does. */
  async principalOf(token: string): Promise<Principal> {
    return (await this.principals.fetch(token))!;
  }

  forget(revoked: RevokedSessions): void {
    for (const [token, principal] of this.principals.entries()) {
      if (covers(revoked, principal.userId, principal.sessionId)) this.principals.delete(token);
    }
  }
}
