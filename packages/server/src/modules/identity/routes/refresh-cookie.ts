import { REFRESH_COOKIE, REFRESH_COOKIE_PATH } from '@kaif/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KaifError } from '../../../platform/http/kaif-error.js';
import { REFRESH_TOKEN_TTL_MS } from '../tokens/refresh-token.js';

/**
 * The refresh cookie of browser clients (opt-in by `refreshCookie: true`).
 * HttpOnly keeps it from script, so an XSS cannot take the session; Secure
 * keeps it off plain http (browsers count http://localhost as secure);
 * SameSite=Strict keeps other sites from sending it, and refresh and logout
 * take JSON only, which a cross-site form cannot post.
 */
const COOKIE_OPTIONS = {
  httpOnly: true,
  secure: true,
  sameSite: 'strict',
  path: REFRESH_COOKIE_PATH,
} as const;

/**
 * Hands a freshly issued refresh token over the way the client asked: in
 * the body, or in the cookie with the body left without it.
 */
export function handOver<T extends { readonly refreshToken?: string }>(reply: FastifyReply, issued: T, toCookie: boolean): T {
  if (!toCookie || issued.refreshToken === undefined) return issued;
  reply.setCookie(REFRESH_COOKIE, issued.refreshToken, { ...COOKIE_OPTIONS, maxAge: REFRESH_TOKEN_TTL_MS / 1000 });
  const { refreshToken: _inCookie, ...rest } = issued;
  return rest as T;
}

/** The refresh token a refresh or logout presents: the body's, else the cookie's. */
export function presentedRefreshToken(request: FastifyRequest, fromBody: string | undefined): { token: string; fromCookie: boolean } {
  if (fromBody !== undefined) return { token: fromBody, fromCookie: false };
  const token = request.cookies[REFRESH_COOKIE];
  if (!token) throw new KaifError('TOKEN_INVALID', 'Send refreshToken in the body, or sign in again to get the refresh cookie');
  return { token, fromCookie: true };
}

export function clearRefreshCookie(reply: FastifyReply): void {
  reply.clearCookie(REFRESH_COOKIE, COOKIE_OPTIONS);
}
