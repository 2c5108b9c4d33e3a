import { describe, expect, it } from 'vitest';
import { matchTotpStep, newTotpSecret, otpauthUrl, totpCode } from './totp.js';

// RFC 6238 Appendix B: the SHA1 seed is the ASCII string "12345678901234567890".
const RFC_SEED_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_VECTORS: readonly (readonly [number, string])[] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP', () => {
  it.each(RFC_VECTORS)('matches the RFC 6238 SHA1 vector at T=%i', (seconds, expected) => {
    expect(totpCode(RFC_SEED_BASE32, { digits: 8, timestampMs: seconds * 1000 })).toBe(expected);
    expect(matchTotpStep(RFC_SEED_BASE32, expected, { digits: 8, timestampMs: seconds * 1000 })).toBe(Math.floor(seconds / 30));
  });

  it('accepts the neighbouring steps for clock drift and nothing further', () => {
    const secret = newTotpSecret();
    const now = 1_700_000_000_000;
    const step = Math.floor(now / 30_000);
    expect(matchTotpStep(secret, totpCode(secret, { timestampMs: now - 30_000 }), { timestampMs: now })).toBe(step - 1);
    expect(matchTotpStep(secret, totpCode(secret, { timestampMs: now + 30_000 }), { timestampMs: now })).toBe(step + 1);
    expect(matchTotpStep(secret, totpCode(secret, { timestampMs: now + 90_000 }), { timestampMs: now })).toBeNull();
  });

  it('makes 160-bit base32 secrets', () => {
    expect(newTotpSecret()).toMatch(/^[A-Z2-7]{32}$/);
  });

  it('builds an otpauth URL an authenticator app understands', () => {
    const url = otpauthUrl('JBSWY3DPEHPK3PXP', 'alice');
    expect(url.startsWith('otpauth://totp/Kaif%20Lake:alice?')).toBe(true);
    const params = new URL(url).searchParams;
    expect(params.get('secret')).toBe('JBSWY3DPEHPK3PXP');
    expect(params.get('issuer')).toBe('Kaif Lake');
    expect(params.get('algorithm')).toBe('SHA1');
    expect(params.get('digits')).toBe('6');
    expect(params.get('period')).toBe('30');
  });
});
