import type { Registry } from 'prom-client';
import { type BreakerSource, type HealthCheck, runHealthChecks } from '../health/health.js';
import type { HttpServer } from './http-server.js';

export type Readiness = 'starting' | 'ready' | 'draining';

/**
 * `/health`, `/ready` and `/metrics`: served by every process whatever its
 * roles, so a load balancer and Prometheus can watch each one.
 */
export function registerOperationsRoutes(
  app: HttpServer,
  deps: {
    readonly registry: Registry;
    readonly checks: () => readonly HealthCheck[];
    readonly breakers: () => readonly BreakerSource[];
    readonly readiness: () => Readiness;
    readonly roles: readonly string[];
    readonly startedAt: Date;
  },
): void {
  app.get('/health', { schema: { hide: true } }, async (_request, reply) => {
    const report = await runHealthChecks(deps.checks(), deps.breakers());
    return reply.status(report.status === 'unhealthy' ? 503 : 200).send({
      ...report,
      roles: deps.roles,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt.getTime()) / 1000),
      pid: process.pid,
    });
  });
  app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
    const readiness = deps.readiness();
    return reply.status(readiness === 'ready' ? 200 : 503).send({ status: readiness });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.header('content-type', deps.registry.contentType).send(await deps.registry.metrics()),
  );
}
