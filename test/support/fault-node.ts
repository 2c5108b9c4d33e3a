import { MODULES } from '../../packages/server/src/modules/index.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { type RunningServer, startServer } from '../../packages/server/src/server.js';
import { testConfig } from './test-server.js';

/**
 * Fault tests send far faster than one user would; the per-user API limit
 * would turn the stream into FLOOD_WAIT and hide the fault being tested.
 */
export const STREAM_FRIENDLY_ENV = { LOG_LEVEL: 'silent', KAIF_RATE_LIMIT_PER_MINUTE: '1000000' } as const;

/**
 * A server node in this process wired to engines the test owns (a scratch
 * database, private Redis/NATS), so the test can kill them mid-traffic.
 */
export function startFaultNode(env: Readonly<Record<string, string>>): Promise<RunningServer> {
  const config = testConfig({ ...STREAM_FRIENDLY_ENV, ...env });
  return startServer({ config, logger: createLogger('silent'), modules: MODULES, relay: { pollMs: 100 } });
}

export interface HealthAnswer {
  readonly httpStatus: number;
  readonly status: string;
  readonly checks: Record<string, { readonly status: string }>;
}

/** The detailed /health, from the node's operations port (testConfig opens one). */
export async function readHealth(node: RunningServer): Promise<HealthAnswer> {
  const response = await fetch(`http://127.0.0.1:${node.ports.ops}/health`, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as Omit<HealthAnswer, 'httpStatus'>;
  return { httpStatus: response.status, status: body.status, checks: body.checks };
}

/** Polls /health until it reports `status`; resolves with how long that took. */
export async function healthBecomes(node: RunningServer, status: string, timeoutMs: number): Promise<number> {
  const startedAt = Date.now();
  while ((await readHealth(node).catch(() => undefined))?.status !== status) {
    if (Date.now() - startedAt > timeoutMs) throw new Error(`/health did not become ${status} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - startedAt;
}
