import { KaifApiError } from '@kaif/client';
import type { HealthReport } from './types.js';

/**
 * The detailed health and the metrics are for admins: the public `/health`
 * gives the status only. They are not part of the SDK: `/metrics` is
 * Prometheus text, and the detailed health answers 503 with a full report
 * when unhealthy, which a JSON API client would treat as a failure.
 */
export async function fetchHealth(accessToken: string | null): Promise<HealthReport> {
  const response = await get('/api/v1/admin/health', accessToken);
  if (response.status !== 200 && response.status !== 503) throw await failure(response, 'health');
  return (await response.json()) as HealthReport;
}

export async function fetchMetrics(accessToken: string | null): Promise<string> {
  const response = await get('/metrics', accessToken);
  if (!response.ok) throw await failure(response, 'metrics');
  return response.text();
}

async function get(path: string, accessToken: string | null): Promise<Response> {
  try {
    return await fetch(path, { cache: 'no-store', headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {} });
  } catch (error) {
    throw new KaifApiError('NETWORK_ERROR', (error as Error).message, 0);
  }
}

/** The API's own error (FORBIDDEN for a non-admin) when it sent one. */
async function failure(response: Response, what: string): Promise<KaifApiError> {
  const body = (await response.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
  const code = (body?.error?.code ?? 'INTERNAL') as ConstructorParameters<typeof KaifApiError>[0];
  return new KaifApiError(code, body?.error?.message ?? `${what} answered ${response.status}`, response.status);
}
