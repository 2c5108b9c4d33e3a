import { randomBytes } from 'node:crypto';
import { type Algorithm, hash, verify } from '@node-rs/argon2';

/**
 * argon2id at the OWASP Password Storage Cheat Sheet's first recommendation
 * (m = 19 MiB, t = 2, p = 1). The parameters live in each PHC hash string, so
 * raising them later keeps old hashes verifiable.
 */
export const ARGON2ID_PARAMS = {
  algorithm: 2 as Algorithm,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(passwordHash: string, password: string): Promise<boolean>;
  /**
   * Spends the same time as a real verification and answers false: used for
   * unknown accounts, so timing does not reveal which logins exist.
   */
  verifyNobody(password: string): Promise<false>;
}

export async function createPasswordHasher(): Promise<PasswordHasher> {
  const dummyHash = await hash(randomBytes(32), ARGON2ID_PARAMS);
  const check = (passwordHash: string, password: string) => verify(passwordHash, password).catch(() => false);
  return {
    hash: (password) => hash(password, ARGON2ID_PARAMS),
    verify: check,
    async verifyNobody(password) {
      await check(dummyHash, password);
      return false;
    },
  };
}
