import type { UserId } from '@kaif/protocol';
import type { SecretBox } from '../../platform/crypto/secret-box.js';
import type { MediaPart } from './media-service.js';

/** How long a link works: long enough to play a long video, which fetches ranges as it goes. */
export const LINK_TTL_MS = 3600_000;

const PURPOSE = 'media-link';

interface LinkClaims {
  readonly m: string;
  readonly p: MediaPart;
  readonly u: string;
  readonly e: number;
}

/**
 * Short-lived links to media that carry no access token: a `token` query
 * parameter sealed (AES-256-GCM, SecretBox) with the at-rest key, naming the
 * media, the part, the user it was issued to and when it expires. A <video>
 * element or a CDN can fetch it with Range requests. The reader's access is
 * checked again on every fetch (a deleted message ends it at once); a
 * token altered, expired, or for another media or part names nothing.
 * Every node sharing the key honours every other node's links.
 */
export class MediaLinks {
  constructor(
    private readonly secrets: SecretBox,
    private readonly now: () => number = Date.now,
  ) {}

  issue(mediaId: string, part: MediaPart, userId: UserId): { readonly token: string; readonly expiresAt: Date } {
    const expiresAt = this.now() + LINK_TTL_MS;
    const claims: LinkClaims = { m: mediaId, p: part, u: userId, e: expiresAt };
    return { token: this.secrets.seal(JSON.stringify(claims), PURPOSE), expiresAt: new Date(expiresAt) };
  }

  /** The user a token was issued to, if it is valid now for this media and part; null otherwise. */
  reader(token: string, mediaId: string, part: MediaPart): UserId | null {
    try {
      const claims = JSON.parse(this.secrets.open(token, PURPOSE)) as LinkClaims;
      if (claims.m !== mediaId || claims.p !== part || claims.e < this.now()) return null;
      return claims.u as UserId;
    } catch {
      return null;
    }
  }
}
