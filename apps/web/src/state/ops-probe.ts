import { KaifApiError } from '@kaif/client';
import type { HealthReport } from './types.js';

/**
 * The operations endpoints (`/health`, `/metrics`) are not part of the SDK:
 * they are unauthenticated, and /health answers 503 with a full report when
 * unhealthy, which a JSON API client would treat as a failure.
 */
export async function fetchHealth(): Promise<HealthReport> {
  const response = await get('/health');
  if (response.status !== 200 && response.status !== 503) throw new KaifApiError('INTERNAL', `health answered ${response.status}`, response.status);
  return (await response.json()) as HealthReport;
}

export async function fetchMetrics(): Promise<string> {
  const response = await get('/metrics');
  if (!response.ok) throw new KaifApiError('INTERNAL', `metrics answered ${response.status}`, response.status);
  return response.text();
}

async function get(path: string): Promise<Response> {
  try {
    return await fetch(path, { cache: 'no-store' });
  } catch (error) {
    throw new KaifApiError('NETWORK_ERROR', (error as Error).message, 0);
  }
}
