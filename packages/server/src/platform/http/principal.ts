import type { SessionId, UserId } from '@kaif/protocol';
import type { FastifyRequest } from 'fastify';
import { KaifError } from './kaif-error.js';

export type GlobalRole = 'user' | 'admin';

/** Who is calling, as established from a verified access token. */
export interface Principal {
  readonly userId: UserId;
  readonly sessionId: SessionId;
  readonly role: GlobalRole;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

/** The caller of an authenticated route; 401 UNAUTHORIZED when signed out. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new KaifError('UNAUTHORIZED');
  return request.principal;
}

/** As principalOf, but 403 FORBIDDEN unless the caller is a global admin. */
export function adminOf(request: FastifyRequest): Principal {
  const principal = principalOf(request);
  if (principal.role !== 'admin') throw new KaifError('FORBIDDEN');
  return principal;
}
