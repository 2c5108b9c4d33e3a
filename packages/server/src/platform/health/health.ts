export type CheckStatus = 'up' | 'down';

export interface CheckResult {
  readonly status: CheckStatus;
  readonly detail?: string;
}

/**
 * One dependency's health. An essential check that is down makes the process
 * unhealthy (503); a non-essential one makes it degraded (still 200).
 */
export interface HealthCheck {
  readonly name: string;
  readonly essential: boolean;
  check(): Promise<CheckResult>;
}

export type OverallStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface HealthReport {
  readonly status: OverallStatus;
  readonly checks: Record<string, CheckResult & { readonly essential: boolean }>;
  readonly breakers: Record<string, string>;
}

export interface BreakerSource {
  readonly name: string;
  readonly state: string;
  /**
   * False for a breaker around a service a user chose (a push service their
   * browser named): it is shown, but its outage is theirs, not this node's,
   * and must not let one user mark the node degraded. Default true.
   */
  readonly degradesNode?: boolean;
}

const CHECK_TIMEOUT_MS = 2000;

export async function runHealthChecks(
  checks: readonly HealthCheck[],
  breakers: readonly BreakerSource[],
): Promise<HealthReport> {
  const results = await Promise.all(
    checks.map(async (check) => {
      const result = await withTimeout(check.check(), CHECK_TIMEOUT_MS).catch(
        (error: unknown): CheckResult => ({ status: 'down', detail: error instanceof Error ? error.message : String(error) }),
      );
      return [check.name, { ...result, essential: check.essential }] as const;
    }),
  );
  const down = results.filter(([, result]) => result.status === 'down');
  const status: OverallStatus = down.some(([, result]) => result.essential)
    ? 'unhealthy'
    : down.length > 0 || breakers.some((breaker) => breaker.degradesNode !== false && breaker.state !== 'closed')
      ? 'degraded'
      : 'healthy';
  return {
    status,
    checks: Object.fromEntries(results),
    breakers: Object.fromEntries(breakers.map((breaker) => [breaker.name, breaker.state])),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
