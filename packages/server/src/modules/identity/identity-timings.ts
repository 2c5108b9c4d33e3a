/** How long identity trusts what it has cached. */
export interface IdentityTimings {
  /** How often a node rereads the signing keys, so a rotation made elsewhere reaches it. */
  readonly signingKeyReloadMs: number;
  /** How long a node trusts a cached "session is live" answer; revocation also deletes it at once. */
  readonly sessionLivenessCacheMs: number;
  /** A session's lastSeenAt is written at most this often. */
  readonly lastSeenWriteMs: number;
  /** Access token lifetime in seconds; unset = KAIF_ACCESS_TOKEN_TTL (tests go below its 30 s minimum). */
  readonly accessTokenTtlSeconds?: number;
}

export const DEFAULT_IDENTITY_TIMINGS: IdentityTimings = {
  signingKeyReloadMs: 60_000,
  sessionLivenessCacheMs: 5_000,
  lastSeenWriteMs: 60_000,
};
