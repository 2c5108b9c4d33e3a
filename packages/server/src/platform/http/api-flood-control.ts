import type { FloodLimits } from '../flood/flood-limits.js';
import type { HttpServer } from './http-server.js';

/**
 * Every request routed to an `/api/` endpoint draws on its IP's budget and,
 * when signed in, its user's. The route is the one the router matched (its
 * pattern, after percent-decoding), never the raw URL, so `/%61pi/…` counts
 * like `/api/…`. A request no route matched counts against its IP too:
 * its raw path says nothing trustworthy. Operations endpoints and the web
 * client are routes outside `/api/`.
 *
 * Must be registered before the identity hook: the IP is charged first, so a
 * request with a bad or stolen-and-revoked token still counts against its
 * address. The user is charged in `preParsing`, which runs after every
 * `onRequest` hook, once `request.principal` is known.
 */
export function registerApiFloodControl(app: HttpServer, limits: FloodLimits): void {
  app.addHook('onRequest', async (request) => {
    if (request.is404 || isApiRoute(request.routeOptions.url)) await limits.consumeIp(request.ip);
  });
  app.addHook('preParsing', async (request, reply, payload) => {
    if (request.principal && isApiRoute(request.routeOptions.url)) {
      reply.header('x-ratelimit-remaining', String(await limits.consumeUser(request.principal.userId)));
    }
    return payload;
  });
}

const isApiRoute = (url: string | undefined) => url?.startsWith('/api/') === true;
