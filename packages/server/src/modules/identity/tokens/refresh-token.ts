import { createHash, randomBytes } from 'node:crypto';

/** Refresh tokens live this long after issue; each use issues a new one. */
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** 256 random bits, base64url: opaque, never a JWT, so it cannot pass as an access token. */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Only the SHA-256 of a refresh token is stored: a database leak yields no
 * usable token, and a 256-bit random input needs no salt or slow hash.
 */
export function refreshTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}
