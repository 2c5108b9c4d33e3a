import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { HttpServer } from './http-server.js';

/**
 * Serves the built web client at `/`: hashed assets cached for a year,
 * index.html never cached, and any other GET that asks for HTML gets
 * index.html so client-side routes survive a reload. Returns false when the
 * client has not been built.
 */
export async function registerWebClient(app: HttpServer, dir: string): Promise<boolean> {
  const indexPath = join(dir, 'index.html');
  if (!existsSync(indexPath)) return false;
  const indexHtml = readFileSync(indexPath, 'utf8');
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    index: false,
    wildcard: true,
    setHeaders(response, path) {
      response.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const sendIndex = (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(indexHtml);
  app.get('/', { schema: { hide: true } }, sendIndex);
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET' || request.routeOptions.url !== undefined && request.routeOptions.url !== '/*') return;
    const path = request.url.split('?')[0] ?? '/';
    const isAppRoute = !path.startsWith('/api/') && !path.includes('.') && !['/ws', '/health', '/ready', '/metrics'].includes(path);
    if (isAppRoute && (request.headers.accept ?? '').includes('text/html')) return sendIndex(request, reply);
  });
  return true;
}
