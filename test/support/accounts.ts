import { randomBytes } from 'node:crypto';
import type { User } from '@kaif/protocol';

export interface RegisteredUser {
  readonly user: User;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly password: string;
  readonly email: string;
}

let sequence = 0;

/** A username no other test will pick: letter first, ≤ 32 characters. */
export function uniqueUsername(prefix = 'user'): string {
  sequence += 1;
  return `${prefix}_${process.pid.toString(36)}${sequence.toString(36)}${randomBytes(3).toString('hex')}`.slice(0, 32);
}

/** A password that passes the policy and appears nowhere else. */
export function uniquePassword(): string {
  return `pw-${randomBytes(9).toString('base64url')}-lake`;
}

export function authHeaders(accessToken: string): Record<string, string> {
  return { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
}

/**
 * Registers an account over HTTP, as a client would, and returns its tokens.
 * Throws with the server's answer when registration fails.
 */
export async function registerUser(
  server: { readonly url: string },
  options: { readonly username?: string; readonly password?: string; readonly email?: string; readonly displayName?: string } = {},
): Promise<RegisteredUser> {
  const username = options.username ?? uniqueUsername();
  const password = options.password ?? uniquePassword();
  const email = options.email ?? `${username.toLowerCase()}@example.test`;
  const response = await fetch(`${server.url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, email, password, ...(options.displayName ? { displayName: options.displayName } : {}) }),
  });
  if (response.status !== 201) throw new Error(`register ${username} failed: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { user: User; accessToken: string; refreshToken: string };
  return { ...body, password, email };
}
