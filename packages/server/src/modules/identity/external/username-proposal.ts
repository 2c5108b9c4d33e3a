import { USERNAME_PATTERN } from '@kaif/protocol';
import type { VerifiedExternalIdentity } from './sign-in-provider.js';

const MAX = 32;
const VALID = new RegExp(USERNAME_PATTERN);

/**
 * A username base from what the provider told us (handle, email local part,
 * name), cut to the username rules: letter first, then letters, digits and
 * `_`, 3 to 32 characters.
 */
export function usernameBase(identity: Pick<VerifiedExternalIdentity, 'handle' | 'email' | 'name'>): string {
  for (const source of [identity.handle, identity.email?.split('@')[0], identity.name]) {
    if (!source) continue;
    const cleaned = source
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9_]+/g, '_')
      .replace(/^[^A-Za-z]+/, '')
      .replace(/_+$/, '')
      .slice(0, MAX - 5);
    if (cleaned.length >= 3) return cleaned;
    if (cleaned.length > 0) return `${cleaned}_user`;
  }
  return 'user';
}

/** The base, then the base with a number appended, each still a valid username. */
export function usernameCandidates(base: string, count: number, random: () => number = Math.random): string[] {
  const candidates = VALID.test(base) ? [base] : [];
  while (candidates.length < count) {
    const suffix = String(Math.floor(random() * 10_000));
    candidates.push(`${base.slice(0, MAX - suffix.length)}${suffix}`);
  }
  return candidates;
}
