import { grantAdmin } from '../../packages/server/src/modules/identity/accounts/grant-admin.js';
import type { IdentityTables } from '../../packages/server/src/modules/identity/identity-tables.js';
import { registerUser } from '../support/accounts.js';
import { engineAvailable } from '../support/engines.js';
import type { EngineSet, TestServer } from '../support/test-server.js';

/** Embedded always; real PostgreSQL + Redis (+ NATS) when configured. */
export const ENGINE_SETS: readonly EngineSet[] = [
  'embedded',
  ...(engineAvailable('postgres') && engineAvailable('redis') ? (['real'] as const) : []),
];

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly retryAfter?: number; readonly field?: string };
}

export interface Reply<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export interface CallOptions {
  readonly body?: unknown;
  readonly token?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One HTTP call as a client makes it; the body is parsed when there is one. */
export async function call<T = ErrorBody>(
  server: { readonly url: string },
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers };
}

export interface TokenPairBody {
  readonly accessToken: string;
  readonly refreshToken: string;
}

export const login = <T = TokenPairBody & ErrorBody>(server: { readonly url: string }, body: Record<string, unknown>) =>
  call<T>(server, 'POST', '/api/v1/auth/login', { body });

export const refresh = <T = TokenPairBody & ErrorBody>(server: { readonly url: string }, refreshToken: string) =>
  call<T>(server, 'POST', '/api/v1/auth/refresh', { body: { refreshToken } });

export function identityDb(server: TestServer) {
  return server.adapters.db.kysely<IdentityTables>();
}

/** A fresh account made admin the way an operator would (`kaif admin grant`), signed in again for a token with the role. */
export async function newAdmin(server: TestServer): Promise<string> {
  const admin = await registerUser(server);
  await grantAdmin(identityDb(server), admin.user.username);
  const signedIn = await login(server, { login: admin.user.username, password: admin.password });
  return signedIn.body.accessToken;
}
