import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IdentityDb } from '../identity-tables.js';
import type { FlowSecrets } from './sign-in-provider.js';

/** A flow must come back from the provider within this long. */
export const FLOW_TTL_MS = 10 * 60_000;

const derive = (label: string, flowSecret: string) => createHash('sha256').update(`${label}:${flowSecret}`).digest('base64url');

/**
 * The PKCE verifier, state and nonce are all derived from one random
 * secret that lives only in the browser's flow cookie (HttpOnly). The
 * database keeps a hash of it with the provider and, for linking, the
 * account: so a callback works only in the browser that started it (CSRF,
 * RFC 9700 §4.7), and a copy of the table opens no flow.
 */
export function flowSecrets(flowSecret: string): FlowSecrets {
  return { state: derive('state', flowSecret), nonce: derive('nonce', flowSecret), codeVerifier: derive('pkce', flowSecret) };
}

export function sameState(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface ClaimedFlow {
  readonly provider: string;
  /** Set when a signed-in user started the flow to link the provider to their account. */
  readonly linkUserId: string | null;
}

export class SignInFlows {
  constructor(private readonly db: IdentityDb) {}

  /** Records a new flow and returns the secret for the browser's cookie. */
  async begin(provider: string, linkUserId: string | null): Promise<string> {
    const flowSecret = randomBytes(32).toString('base64url');
    await this.db.deleteFrom('identity.sign_in_flows').where('expires_at', '<', new Date()).execute();
    await this.db
      .insertInto('identity.sign_in_flows')
      .values({ flow_hash: derive('flow', flowSecret), provider, link_user_id: linkUserId, expires_at: new Date(Date.now() + FLOW_TTL_MS) })
      .execute();
    return flowSecret;
  }

  /**
   * Takes the flow once (a DELETE … RETURNING is atomic on both engines), so
   * a callback replayed in the same browser finds nothing.
   */
  async claim(flowSecret: string): Promise<ClaimedFlow | undefined> {
    const row = await this.db
      .deleteFrom('identity.sign_in_flows')
      .where('flow_hash', '=', derive('flow', flowSecret))
      .where('expires_at', '>', new Date())
      .returning(['provider', 'link_user_id'])
      .executeTakeFirst();
    return row && { provider: row.provider, linkUserId: row.link_user_id };
  }
}
