import type { Registry } from 'prom-client';
import { type BreakerSource, type HealthCheck, type HealthReport, runHealthChecks } from '../health/health.js';
import type { HttpServer } from './http-server.js';
import { adminOf } from './principal.js';

export type Readiness = 'starting' | 'ready' | 'draining';

export interface OperationsSources {
  readonly registry: Registry;
  readonly checks: () => readonly HealthCheck[];
  readonly breakers: () => readonly BreakerSource[];
  readonly readiness: () => Readiness;
  readonly roles: readonly string[];
  readonly startedAt: Date;
}

export interface DetailedHealth extends HealthReport {
  readonly roles: readonly string[];
  readonly uptimeSeconds: number;
  readonly pid: number;
}

/** A load balancer may poll /health many times a second: the checks run at most this often. */
const PUBLIC_HEALTH_CACHE_MS = 1000;

/** Every check with its detail, the breakers, roles, uptime and pid: for operators only. */
export async function detailedHealth(sources: OperationsSources): Promise<DetailedHealth> {
  const report = await runHealthChecks(sources.checks(), sources.breakers());
  return {
    ...report,
    roles: sources.roles,
    uptimeSeconds: Math.round((Date.now() - sources.startedAt.getTime()) / 1000),
    pid: process.pid,
  };
}

export const healthStatusCode = (report: HealthReport) => (report.status === 'unhealthy' ? 503 : 200);

/**
 * The operations endpoints on the main port, served by every process
 * whatever its roles. What anyone may read stays minimal: `/health` gives the
 * status only (from checks run at most once a second) and `/ready` the
 * readiness, which queries nothing. The detail — dependency errors, breakers,
 * every metric — needs an admin token here (`/metrics`,
 * `/api/v1/admin/health`); Prometheus scrapes the operations port instead
 * (KAIF_OPS_PORT, see operations-listener.ts).
 */
export function registerOperationsRoutes(app: HttpServer, sources: OperationsSources): void {
  const publicReport = lastFor(PUBLIC_HEALTH_CACHE_MS, () => runHealthChecks(sources.checks(), sources.breakers()));
  app.get('/health', { schema: { hide: true } }, async (_request, reply) => {
    const report = await publicReport();
    return reply.status(healthStatusCode(report)).send({ status: report.status });
  });
  app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
    const readiness = sources.readiness();
    return reply.status(readiness === 'ready' ? 200 : 503).send({ status: readiness });
  });
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    adminOf(request);
    return reply.header('content-type', sources.registry.contentType).send(await sources.registry.metrics());
  });
  app.get(
    '/api/v1/admin/health',
    {
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        summary: 'This process’s detailed health: every dependency check, breaker, role and uptime (503 when unhealthy)',
      },
    },
    async (request, reply) => {
      adminOf(request);
      const report = await detailedHealth(sources);
      return reply.status(healthStatusCode(report)).send(report);
    },
  );
}

/** Calls `load` at most once per `ms`; callers meanwhile share its last (or pending) answer. */
function lastFor<T>(ms: number, load: () => Promise<T>): () => Promise<T> {
  let cached: { readonly at: number; readonly value: Promise<T> } | undefined;
  return () => {
    if (!cached || Date.now() - cached.at >= ms) {
      const value = load();
      cached = { at: Date.now(), value };
      value.catch(() => {
        cached = undefined;
      });
    }
    return cached.value;
  };
}
