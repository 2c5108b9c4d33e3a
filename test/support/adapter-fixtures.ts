import { Writable } from 'node:stream';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { createMetricsRegistry } from '../../packages/server/src/platform/metrics/metrics.js';
import {
  type DependencyPolicyOptions,
  createDependencyPolicy,
} from '../../packages/server/src/platform/resilience/dependency-policy.js';

/** A logger that keeps its lines in memory, and a policy for one dependency. */
export function adapterDeps(dependency: string, policy: Partial<DependencyPolicyOptions> = {}) {
  const lines: string[] = [];
  const logger = createLogger(
    'debug',
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  const registry = createMetricsRegistry({});
  return { logger, registry, lines, policy: createDependencyPolicy(dependency, { logger, registry }, policy) };
}

/** Polls until the check passes or the time is up. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, stepMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
