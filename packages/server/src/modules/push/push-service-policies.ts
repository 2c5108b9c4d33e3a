import { LRUCache } from 'lru-cache';
import type { Registry } from 'prom-client';
import type { BreakerSource } from '../../platform/health/health.js';
import type { Logger } from '../../platform/logging/logger.js';
import { type DependencyPolicy, type DependencyPolicyOptions, createDependencyPolicy } from '../../platform/resilience/dependency-policy.js';

/** Push-service origins with a breaker of their own at once; the least recently used one is dropped past this. */
export const DEFAULT_TRACKED_ORIGINS = 32;

/**
 * One dependency policy (timeout, breaker, bulkhead) per push-service
 * origin, named `push:<origin>` in /health and the metrics: a push service
 * that is down (one browser vendor's) opens its own breaker and the others
 * keep delivering. Endpoints come from clients, so the set is bounded: at
 * most `maxOrigins` are tracked, the least recently used is dropped (its
 * breaker state with it, and its metric series), and a dropped origin that
 * is still failing opens a fresh breaker after `breakAfter` failures again.
 * The few push services browsers use are in use all the time and stay.
 */
export class PushServicePolicies {
  private readonly byOrigin: LRUCache<string, DependencyPolicy>;

  constructor(
    private readonly deps: { readonly logger: Logger; readonly registry: Registry },
    private readonly options: Partial<DependencyPolicyOptions>,
    maxOrigins = DEFAULT_TRACKED_ORIGINS,
  ) {
    this.byOrigin = new LRUCache({ max: maxOrigins, dispose: (policy) => policy.forget?.() });
  }

  /** The policy of the endpoint's push service (its origin). */
  for(endpoint: string): DependencyPolicy {
    const origin = new URL(endpoint).origin;
    let policy = this.byOrigin.get(origin);
    if (!policy) {
      policy = createDependencyPolicy(`push:${origin}`, this.deps, this.options);
      this.byOrigin.set(origin, policy);
    }
    return policy;
  }

  /** The tracked breakers, most recently used first (at most `maxOrigins`): what /health shows. */
  breakers(): readonly BreakerSource[] {
    // Any user can subscribe with a push service that is down: shown, but not the node's health.
    return [...this.byOrigin.values()].map((policy) => ({ name: policy.name, state: policy.state, degradesNode: false }));
  }
}
