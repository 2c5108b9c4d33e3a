import { createHash, randomInt } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const GROUPS = 4;
const GROUP_LENGTH = 4;

/** `abcd-efgh-ijkl-mnop`: 16 base32 characters, 80 random bits each. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    Array.from({ length: GROUPS }, () => Array.from({ length: GROUP_LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')).join('-'),
  );
}

/** Whether a submitted code has the recovery-code shape (dashes, spaces and case are forgiven). */
export function looksLikeRecoveryCode(code: string): boolean {
  return normalize(code).length === GROUPS * GROUP_LENGTH;
}

/**
 * Stored hashed, bound to the user. 80 random bits make a fast hash safe:
 * guessing is bounded by flood control, not by hash cost.
 */
export function recoveryCodeHash(userId: string, code: string): string {
  return createHash('sha256').update(`${userId}:${normalize(code)}`, 'utf8').digest('base64url');
}

function normalize(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}
