import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  fullJitterGenerator,
  handleWhen,
  retry,
  timeout,
  wrap,
} from 'cockatiel';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from '../logging/logger.js';
import { KaifError } from '../http/kaif-error.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface DependencyPolicyOptions {
  /** Each attempt is abandoned after this long. */
  readonly timeoutMs: number;
  /** Calls in flight at once; more wait in the queue, more than that fail fast. */
  readonly concurrency: number;
  readonly queue: number;
  /** Consecutive failures that open the breaker. */
  readonly breakAfter: number;
  /** How long an open breaker waits before letting one trial call through. */
  readonly halfOpenAfterMs: number;
  /** Attempts for idempotent calls, including the first. */
  readonly maxAttempts: number;
}

export const DEFAULT_POLICY: DependencyPolicyOptions = {
  timeoutMs: 5000,
  concurrency: 64,
  queue: 1024,
  breakAfter: 5,
  halfOpenAfterMs: 5000,
  maxAttempts: 3,
};

export interface CallOptions {
  /** Only idempotent calls are retried (reads, upserts keyed by id). */
  readonly idempotent?: boolean;
  /**
   * For waits on a local resource with its own deadline (a pool checkout):
   * no per-attempt timeout, so a busy pool is not mistaken for an outage.
   */
  readonly untimed?: boolean;
  /**
   * The call belongs to work already admitted (a statement on a checked-out
   * connection): it skips the bulkhead, so an admitted transaction is never
   * refused between its statements. Admission happens before, at the door.
   */
  readonly admitted?: boolean;
}

/**
 * Every call out of the process goes through one of these: bulkhead → breaker
 * → timeout, plus retries with exponential backoff and full jitter for
 * idempotent calls. An open breaker or a full bulkhead fails fast with
 * DEPENDENCY_UNAVAILABLE instead of hanging.
 */
export interface DependencyPolicy {
  readonly name: string;
  readonly state: BreakerState;
  execute<T>(call: (signal: AbortSignal) => Promise<T>, options?: CallOptions): Promise<T>;
  /**
   * Drops this dependency's series from the metrics, for a policy its owner
   * stops tracking (one of a bounded set keyed by something open-ended, such
   * as push-service origins), so label values do not pile up.
   */
  forget?(): void;
}

const OUTCOMES = ['ok', 'breaker_open', 'bulkhead_full', 'timeout', 'rejected', 'error'] as const;
const STATES: readonly BreakerState[] = ['closed', 'open', 'half-open'];

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

const STATE_VALUES: Record<BreakerState, number> = { closed: 0, open: 1, 'half-open': 2 };

/** The per-registry metric families shared by every dependency. */
interface PolicyMetrics {
  readonly duration: Histogram<'dependency' | 'outcome'>;
  readonly state: Gauge<'dependency'>;
  readonly transitions: Counter<'dependency' | 'to'>;
}

const metricsByRegistry = new WeakMap<Registry, PolicyMetrics>();

function policyMetrics(registry: Registry): PolicyMetrics {
  let metrics = metricsByRegistry.get(registry);
  if (!metrics) {
    metrics = {
      duration: new Histogram({
        name: 'kaif_dependency_call_duration_seconds',
        help: 'Calls to external dependencies by outcome',
        labelNames: ['dependency', 'outcome'],
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [registry],
      }),
      state: new Gauge({
        name: 'kaif_dependency_breaker_state',
        help: 'Circuit breaker state per dependency: 0 closed, 1 open, 2 half-open',
        labelNames: ['dependency'],
        registers: [registry],
      }),
      transitions: new Counter({
        name: 'kaif_dependency_breaker_transitions_total',
        help: 'Circuit breaker state changes per dependency',
        labelNames: ['dependency', 'to'],
        registers: [registry],
      }),
    };
    metricsByRegistry.set(registry, metrics);
  }
  return metrics;
}

export function createDependencyPolicy(
  name: string,
  deps: { readonly logger: Logger; readonly registry: Registry },
  options: Partial<DependencyPolicyOptions> = {},
): DependencyPolicy {
  const settings = { ...DEFAULT_POLICY, ...options };
  const metrics = policyMetrics(deps.registry);
  // A caller's own error (a constraint violation, a bad request) says nothing
  // about the dependency's health, so it must not trip the breaker.
  const countsAsOutage = handleWhen((error) => !(error instanceof KaifError) && !isClientSideError(error));
  const breaker = circuitBreaker(countsAsOutage, {
    halfOpenAfter: settings.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(settings.breakAfter),
  });
  const limiter = bulkhead(settings.concurrency, settings.queue);
  const perAttemptTimeout = timeout(settings.timeoutMs, TimeoutStrategy.Aggressive);
  const once = wrap(limiter, breaker, perAttemptTimeout);
  const untimed = wrap(limiter, breaker);
  const admittedOnce = wrap(breaker, perAttemptTimeout);
  const retrying = wrap(
    retry(handleWhen((error) => !(error instanceof BrokenCircuitError) && !(error instanceof BulkheadRejectedError) && !(error instanceof KaifError) && !isClientSideError(error)), {
      maxAttempts: settings.maxAttempts - 1,
      backoff: new ExponentialBackoff({ generator: fullJitterGenerator, initialDelay: 50, maxDelay: 2000 }),
    }),
    once,
  );

  let state: BreakerState = 'closed';
  metrics.state.set({ dependency: name }, 0);
  breaker.onStateChange((next) => {
    const nextName = STATE_NAMES[next];
    if (nextName === state) return;
    state = nextName;
    metrics.state.set({ dependency: name }, STATE_VALUES[nextName]);
    metrics.transitions.inc({ dependency: name, to: nextName });
    const log = nextName === 'open' ? deps.logger.warn.bind(deps.logger) : deps.logger.info.bind(deps.logger);
    log({ dependency: name, breaker: nextName }, 'circuit breaker changed state');
  });

  return {
    name,
    get state() {
      return state;
    },
    forget() {
      metrics.state.remove({ dependency: name });
      for (const outcome of OUTCOMES) metrics.duration.remove({ dependency: name, outcome });
      for (const to of STATES) metrics.transitions.remove({ dependency: name, to });
    },
    async execute(call, callOptions = {}) {
      const stop = metrics.duration.startTimer({ dependency: name });
      const policy = callOptions.admitted
        ? callOptions.untimed
          ? breaker
          : admittedOnce
        : callOptions.untimed
          ? untimed
          : callOptions.idempotent
            ? retrying
            : once;
      try {
        // A fresh signal per call: cockatiel otherwise hangs every concurrent
        // call's listener on one shared never-aborted signal.
        const result = await policy.execute(({ signal }) => call(signal), new AbortController().signal);
        stop({ outcome: 'ok' });
        return result;
      } catch (error) {
        stop({ outcome: outcomeOf(error) });
        throw translate(name, error, settings.halfOpenAfterMs);
      }
    },
  };
}

function outcomeOf(error: unknown): string {
  if (error instanceof BrokenCircuitError) return 'breaker_open';
  if (error instanceof BulkheadRejectedError) return 'bulkhead_full';
  if (error instanceof TaskCancelledError) return 'timeout';
  if (error instanceof KaifError || isClientSideError(error)) return 'rejected';
  return 'error';
}

function translate(name: string, error: unknown, halfOpenAfterMs: number): unknown {
  if (error instanceof BrokenCircuitError || error instanceof BulkheadRejectedError) {
    return new KaifError('DEPENDENCY_UNAVAILABLE', `${name} is unavailable; retry later`, {
      retryAfter: Math.max(1, Math.ceil(halfOpenAfterMs / 1000)),
    });
  }
  if (error instanceof TaskCancelledError) {
    return new KaifError('DEPENDENCY_UNAVAILABLE', `${name} did not answer in time; retry later`, { retryAfter: 1 });
  }
  return error;
}

/**
 * PostgreSQL SQLSTATE classes 22 (data exception) and 23 (integrity constraint
 * violation) and 40 (transaction rollback, e.g. serialization failure) are the
 * caller's business, not an outage.
 */
function isClientSideError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|40|42)/.test(code);
}
