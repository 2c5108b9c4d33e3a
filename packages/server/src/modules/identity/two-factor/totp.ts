import { Secret, TOTP } from 'otpauth';

/**
 * RFC 6238 TOTP as every authenticator app speaks it: HMAC-SHA1, 30-second
 * steps, 6 digits; a code of the previous or next step is accepted too, for
 * clock drift (RFC 6238 §5.2).
 */
export const TOTP_ISSUER = 'Kaif Lake';
const PERIOD_SECONDS = 30;
const DRIFT_STEPS = 1;

export interface TotpOptions {
  readonly digits?: number;
  readonly timestampMs?: number;
}

/** 160 random bits (RFC 4226 §4 recommends at least 128), base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totpFor(secretBase32: string, digits = 6, label = 'account'): TOTP {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label,
    secret: Secret.fromBase32(secretBase32),
    algorithm: 'SHA1',
    digits,
    period: PERIOD_SECONDS,
  });
}

/** `otpauth://totp/Kaif%20Lake:<username>?secret=…&issuer=Kaif%20Lake…` */
export function otpauthUrl(secretBase32: string, username: string): string {
  return totpFor(secretBase32, 6, username).toString();
}

export function totpCode(secretBase32: string, options: TotpOptions = {}): string {
  return totpFor(secretBase32, options.digits).generate({ timestamp: options.timestampMs ?? Date.now() });
}

/**
 * The time-step the code belongs to, or null when it matches none in the
 * drift window. Callers accept each step once per user.
 */
export function matchTotpStep(secretBase32: string, code: string, options: TotpOptions = {}): number | null {
  const totp = totpFor(secretBase32, options.digits);
  const timestamp = options.timestampMs ?? Date.now();
  const delta = totp.validate({ token: code, timestamp, window: DRIFT_STEPS });
  return delta === null ? null : totp.counter({ timestamp }) + delta;
}
