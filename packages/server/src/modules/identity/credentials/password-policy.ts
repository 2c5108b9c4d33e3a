import { readFileSync } from 'node:fs';
import { PASSWORD_MIN_LENGTH } from '@kaif/protocol';
import { KaifError } from '../../../platform/http/kaif-error.js';

/** Passwords that top every breach list; compared ignoring case. */
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((line) => line.trim().toLowerCase())
    .filter(Boolean),
);

export interface PasswordOwner {
  readonly username: string;
  readonly email: string | null;
}

/**
 * NIST SP 800-63B §5.1.1.2 style: a minimum length, no known-common
 * passwords, nothing derived from the account's own name; no composition
 * rules. Throws VALIDATION_FAILED naming `field`.
 */
export function assertAcceptablePassword(password: string, owner: PasswordOwner, field = 'password'): void {
  const reject = (reason: string) => {
    throw new KaifError('VALIDATION_FAILED', `${field} ${reason}`, { field });
  };
  if ([...password].length < PASSWORD_MIN_LENGTH) reject(`must be at least ${PASSWORD_MIN_LENGTH} characters long`);
  const lowered = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lowered)) reject('is one of the most common passwords; choose another');
  const username = owner.username.toLowerCase();
  const emailLocalPart = (owner.email ?? '').toLowerCase().split('@')[0] ?? '';
  if (lowered.includes(username)) reject('must not contain your username');
  if (emailLocalPart.length >= 3 && lowered.includes(emailLocalPart)) reject('must not contain your email address');
}
