import type { HealthReport } from '../../state/types.js';

export interface Alert {
  readonly at: number;
  readonly level: 'bad' | 'warn' | 'good';
  readonly text: string;
}

/**
 * What changed between two health reports, in words: the overall status,
 * each dependency check and each circuit breaker. The page keeps the ones
 * seen while it is open; the server has no alert history of its own.
 */
export function alertsBetween(previous: HealthReport | undefined, next: HealthReport, at: number): readonly Alert[] {
  if (!previous) return [];
  const alerts: Alert[] = [];
  if (previous.status !== next.status) {
    alerts.push({ at, level: next.status === 'healthy' ? 'good' : next.status === 'degraded' ? 'warn' : 'bad', text: `Server is ${next.status} (was ${previous.status})` });
  }
  for (const [name, check] of Object.entries(next.checks)) {
    const before = previous.checks[name]?.status;
    if (before && before !== check.status) {
      alerts.push({ at, level: check.status === 'up' ? 'good' : 'bad', text: `${name} is ${check.status}${check.detail ? `: ${check.detail}` : ''}` });
    }
  }
  for (const [name, state] of Object.entries(next.breakers)) {
    const before = previous.breakers[name];
    if (before && before !== state) {
      alerts.push({ at, level: state === 'closed' ? 'good' : state === 'open' ? 'bad' : 'warn', text: `Circuit breaker ${name} is ${state} (was ${before})` });
    }
  }
  return alerts;
}
