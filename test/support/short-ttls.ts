import { createIdentityModule } from '../../packages/server/src/modules/identity/identity-module.js';
import { keysModule } from '../../packages/server/src/modules/keys/keys-module.js';
import { messagingModule } from '../../packages/server/src/modules/messaging/messaging-module.js';
import type { KaifModule } from '../../packages/server/src/modules/module.js';
import { createRealtimeModule } from '../../packages/server/src/modules/realtime/realtime-module.js';
import { createWireModule } from '../../packages/server/src/modules/wire/wire-module.js';

/**
 * Every module of the product with every cache lifetime set to about
 * `ttlMs`: signing-key reload, session liveness, lastSeenAt throttle, access
 * tokens (whole seconds), presence, typing throttle, and the wire module's
 * verified-token and direct-chat caches. The WebSocket heartbeat, which
 * keeps presence alive, beats twice per presence lifetime.
 */
export function shortTtlModules(ttlMs: number): readonly KaifModule[] {
  return [
    createIdentityModule({
      timings: {
        signingKeyReloadMs: ttlMs,
        sessionLivenessCacheMs: ttlMs,
        lastSeenWriteMs: ttlMs,
        accessTokenTtlSeconds: accessTokenSeconds(ttlMs),
      },
    }),
    keysModule,
    messagingModule,
    createRealtimeModule({ presenceTtlMs: ttlMs, typingThrottleMs: ttlMs, heartbeatMs: Math.max(100, Math.floor(ttlMs / 2)) }),
    createWireModule({ limits: { udpTokenCacheMs: ttlMs } }),
  ];
}

/** The longest any of those modules trusts what it cached: an idle gap past this has seen every lifetime expire. */
export function longestTtlMs(ttlMs: number): number {
  return Math.max(ttlMs, accessTokenSeconds(ttlMs) * 1000);
}

// At least 2 s: a token lives until a whole-second boundary (RFC 7519 NumericDate), so a
// 1 s token may expire within milliseconds of being issued.
const accessTokenSeconds = (ttlMs: number) => Math.max(2, Math.ceil(ttlMs / 1000));
