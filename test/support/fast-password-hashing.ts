import type * as Argon2 from '@node-rs/argon2';
import { vi } from 'vitest';

/**
 * Integration and browser tests register hundreds of accounts, and argon2id
 * at the production cost (19 MiB, two passes) spends tens of milliseconds of
 * CPU on each, more on a busy machine. Here every hash is still argon2id and
 * goes through the server's real hash and verify path, only at the lowest
 * cost: a wrong password is refused all the same. The production parameters
 * are asserted by password-hasher.test.ts, in the unit project, which does
 * not load this file; servers started as child processes never see it.
 */
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const argon2 = await importOriginal<typeof Argon2>();
  const hash: typeof argon2.hash = (password, options) => argon2.hash(password, { ...options, memoryCost: 8, timeCost: 1 });
  return { ...argon2, hash };
});
