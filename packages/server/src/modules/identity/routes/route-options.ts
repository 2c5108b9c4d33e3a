import type { FastifyRequest } from 'fastify';
import type { ClientInfo } from '../accounts/sign-in.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route authenticates by its body (a password or a refresh token),
     * so a stale `Authorization` header a client still sends must not fail it.
     */
    ignoresBearer?: boolean;
  }
}

export const TAGS = ['identity'];
export const BEARER = [{ bearer: [] }];
export const PUBLIC = { ignoresBearer: true } as const;

const CLIENT_NAME_MAX = 200;

export function clientOf(request: FastifyRequest, clientName: string | undefined): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return { name: (clientName ?? userAgent ?? 'unknown client').slice(0, CLIENT_NAME_MAX), ip: request.ip };
}
