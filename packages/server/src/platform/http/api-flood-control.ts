import type { FloodLimits } from '../flood/flood-limits.js';
import type { HttpServer } from './http-server.js';

/** Operations endpoints stay reachable for probes and scrapers whatever the load. */
const EXEMPT = new Set(['/health', '/ready', '/metrics']);

/**
 * Every `/api/` request draws on its IP's budget and, when signed in, its
 * user's. Registered after the identity hook, so `request.principal` is known.
 */
export function registerApiFloodControl(app: HttpServer, limits: FloodLimits): void {
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (EXEMPT.has(path) || !path.startsWith('/api/')) return;
    await limits.consumeIp(request.ip);
    if (request.principal) {
      reply.header('x-ratelimit-remaining', String(await limits.consumeUser(request.principal.userId)));
    }
  });
}
