import { randomUUID } from 'node:crypto';
import type { SessionId, UserId } from '@kaif/protocol';
import { type JWTPayload, SignJWT, jwtVerify } from 'jose';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { GlobalRole, Principal } from '../../../platform/http/principal.js';
import { SIGNING_ALGORITHM, type SigningKeyRing } from './signing-keys.js';

/** RFC 9068 JWT access tokens: the `typ` keeps ID tokens and other JWTs out. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const ACCESS_TOKEN_AUDIENCE = 'kaif';
export const ACCESS_TOKEN_ISSUER = 'kaif-lake';

interface AccessClaims extends JWTPayload {
  readonly sid?: unknown;
  readonly role?: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class AccessTokens {
  constructor(
    private readonly keys: SigningKeyRing,
    private readonly ttlSeconds: number,
  ) {}

  async issue(principal: Principal): Promise<string> {
    const { kid, privateKey } = await this.keys.signingKey();
    return new SignJWT({ sid: principal.sessionId, role: principal.role })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid })
      .setIssuer(ACCESS_TOKEN_ISSUER)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setSubject(principal.userId)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(privateKey);
  }

  /**
   * Checks signature (EdDSA only: `none` and HMAC are refused before any key
   * is used), `typ`, issuer, audience and expiry. Says nothing about whether
   * the session is still live. Throws TOKEN_INVALID.
   */
  async verify(token: string): Promise<Principal> {
    let claims: AccessClaims;
    try {
      const result = await jwtVerify<AccessClaims>(
        token,
        async (header) => {
          const key = header.kid ? await this.keys.verificationKey(header.kid) : undefined;
          if (!key) throw new Error('unknown key id');
          return key;
        },
        {
          algorithms: [SIGNING_ALGORITHM],
          typ: ACCESS_TOKEN_TYPE,
          audience: ACCESS_TOKEN_AUDIENCE,
          issuer: ACCESS_TOKEN_ISSUER,
          requiredClaims: ['sub', 'exp', 'iat'],
        },
      );
      claims = result.payload;
    } catch {
      throw new KaifError('TOKEN_INVALID');
    }
    const { sub, sid, role } = claims;
    if (typeof sub !== 'string' || !UUID.test(sub) || typeof sid !== 'string' || !UUID.test(sid) || !isRole(role)) {
      throw new KaifError('TOKEN_INVALID');
    }
    return { userId: sub as UserId, sessionId: sid as SessionId, role };
  }
}

function isRole(value: unknown): value is GlobalRole {
  return value === 'user' || value === 'admin';
}
