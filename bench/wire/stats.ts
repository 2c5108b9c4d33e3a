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

/** Closed loop: `concurrency` workers repeat `operation` for `seconds`; each call's latency, summarized. */
export async function closedLoop(seconds: number, concurrency: number, operation: (index: number) => Promise<void>): Promise<Summary> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  let index = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const begin = performance.now();
        await operation(index++);
        latencies.push(performance.now() - begin);
      }
    }),
  );
  return summarize(latencies, (performance.now() - started) / 1000);
}
