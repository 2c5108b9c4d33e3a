import type { CustomFetch } from 'openid-client';
import type { DependencyPolicy } from '../../../platform/resilience/dependency-policy.js';

/**
 * openid-client's fetch, routed through the provider's resilience policy:
 * a timeout per attempt, the breaker, and retries for GETs only (discovery,
 * JWKS, user info). The code exchange is a POST and runs once: a code works
 * once, so a retry could only fail.
 */
export function policyFetch(policy: DependencyPolicy): CustomFetch {
  return (url, options) =>
    policy.execute(
      async (signal) => {
        const response = await fetch(url, { ...options, signal: options.signal ? AbortSignal.any([signal, options.signal]) : signal } as RequestInit);
        // The body is read inside the attempt: the policy aborts the signal
        // once the attempt ends, and its timeout covers a body that stalls.
        const body = await response.arrayBuffer();
        return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
      },
      { idempotent: options.method === 'GET' },
    );
}

/** A provider on this machine (tests, a local Keycloak) may use plain http; anything else must use https. */
export function isLoopbackHttp(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && (hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]');
}
