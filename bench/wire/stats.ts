/** The q-th quantile (0..1) of latencies in milliseconds, by nearest rank. */
export function quantile(sortedMs: readonly number[], q: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  return sortedMs[Math.min(sortedMs.length - 1, Math.ceil(q * sortedMs.length) - 1)]!;
}

export interface Summary {
  readonly count: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** `seconds`: how long the phase really took, in-flight requests after its deadline included. */
export function summarize(latenciesMs: number[], seconds: number): Summary {
  latenciesMs.sort((a, b) => a - b);
  return {
    count: latenciesMs.length,
    perSecond: Math.round(latenciesMs.length / seconds),
    p50Ms: round(quantile(latenciesMs, 0.5)),
    p99Ms: round(quantile(latenciesMs, 0.99)),
  };
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
