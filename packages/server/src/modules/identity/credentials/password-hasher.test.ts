import { parseOptions } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import { createPasswordHasher } from './password-hasher.js';

describe('password hasher', () => {
  it('hashes with argon2id at OWASP parameters or stronger', async () => {
    const hasher = await createPasswordHasher();
    const stored = await hasher.hash('correct horse battery');
    expect(stored.startsWith('$argon2id$')).toBe(true);
    const options = parseOptions(stored);
    expect(options.memoryCost).toBeGreaterThanOrEqual(19_456);
    expect(options.timeCost).toBeGreaterThanOrEqual(2);
    expect(options.parallelism).toBe(1);
  });

  it('verifies the right password only', async () => {
    const hasher = await createPasswordHasher();
    const stored = await hasher.hash('correct horse battery');
    expect(await hasher.verify(stored, 'correct horse battery')).toBe(true);
    expect(await hasher.verify(stored, 'correct horse batterz')).toBe(false);
    expect(await hasher.verify('not a hash', 'anything')).toBe(false);
  });

  it('never accepts a password for an unknown account', async () => {
    const hasher = await createPasswordHasher();
    expect(await hasher.verifyNobody('')).toBe(false);
  });
});
