import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type OperationsSources, detailedHealth, healthStatusCode } from './operations-routes.js';

export interface OperationsListener {
  readonly port: number;
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly body: string;
}

const json = (status: number, body: unknown): Answer => ({ status, type: 'application/json', body: JSON.stringify(body) });

const ROUTES: Readonly<Record<string, (sources: OperationsSources) => Promise<Answer>>> = {
  '/metrics': async ({ registry }) => ({ status: 200, type: registry.contentType, body: await registry.metrics() }),
  '/health': async (sources) => {
    const report = await detailedHealth(sources);
    return json(healthStatusCode(report), report);
  },
  '/ready': async ({ readiness }) => json(readiness() === 'ready' ? 200 : 503, { status: readiness() }),
};

/**
 * The operations port (KAIF_OPS_PORT), as Synapse's metrics listener: the
 * detailed `/health`, `/ready` and `/metrics` with no login, for Prometheus
 * and operators on a private network. It binds KAIF_OPS_HOST (loopback by
 * default) and must not be exposed. Plain node:http: it needs no routing,
 * auth or API hooks, and its requests do not show in the API's metrics.
 */
export async function openOperationsListener(host: string, port: number, sources: OperationsSources): Promise<OperationsListener> {
  const server = createServer((request, response) => {
    const route = ROUTES[(request.url ?? '/').split('?')[0]!];
    const answer = route
      ? route(sources).catch((error: unknown) => ({ status: 500, type: 'text/plain', body: `${(error as Error).message}\n` }))
      : Promise.resolve({ status: 404, type: 'text/plain', body: `no such endpoint; try ${Object.keys(ROUTES).join(', ')}\n` });
    void answer.then(({ status, type, body }) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
