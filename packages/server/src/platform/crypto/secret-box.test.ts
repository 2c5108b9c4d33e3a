import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from './secret-box.js';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe('SecretBox', () => {
  it('opens what it sealed, and the ciphertext does not contain the secret', () => {
    const box = new SecretBox([key('a')]);
    const sealed = box.seal('JBSWY3DPEHPK3PXP', 'row-1');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(sealed, 'row-1')).toBe('JBSWY3DPEHPK3PXP');
  });

  it('refuses a ciphertext moved to another row', () => {
    const box = new SecretBox([key('a')]);
    expect(() => box.open(box.seal('secret', 'row-1'), 'row-2')).toThrow();
  });

  it('refuses a tampered ciphertext', () => {
    const box = new SecretBox([key('a')]);
    const sealed = box.seal('secret', 'row-1');
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => box.open(tampered, 'row-1')).toThrow();
  });

  it('still opens old ciphertexts after the key rotates, and seals with the new key', () => {
    const old = key('old');
    const sealedBefore = new SecretBox([old]).seal('secret', 'row-1');
    const rotated = new SecretBox([key('new'), old]);
    expect(rotated.open(sealedBefore, 'row-1')).toBe('secret');
    expect(rotated.isStale(sealedBefore)).toBe(true);
    expect(rotated.isStale(rotated.seal('secret', 'row-1'))).toBe(false);
  });

  it('names the key ids it cannot open samples of: absent, or the same id with other key material', () => {
    const a = key('a');
    const b = key('b');
    const samples = [
      new SecretBox([a]).seal('one', 'row-1'),
      new SecretBox([b]).seal('two', 'row-2'),
      new SecretBox([key('c')]).seal('three', 'row-3'),
      new SecretBox([a]).seal('four', 'row-4'),
    ].map((sealed, index) => ({ sealed, associatedData: `row-${index + 1}` }));
    expect(new SecretBox([a, b, key('c')]).unopenable(samples)).toEqual({ missing: [], different: ['c'] });
    expect(new SecretBox([key('a'), b]).unopenable(samples)).toEqual({ missing: ['c'], different: ['a'] });
    expect(new SecretBox([a]).unopenable(samples)).toEqual({ missing: ['b', 'c'], different: [] });
  });
});
