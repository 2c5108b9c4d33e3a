import { KaifClient, type StoredTokens, memoryTokenStore, nodeWebSocket } from '@kaif/client/node';
import { type RegisteredUser, registerUser } from './accounts.js';

/**
 * An SDK client that reconnects quickly (fault tests measure recovery, not
 * backoff), optionally holding an existing session so several clients can
 * share one account without a password hash each.
 */
export function sdkClient(baseUrl: string, tokens: StoredTokens | null = null): KaifClient {
  return new KaifClient({
    baseUrl,
    webSocket: nodeWebSocket(),
    tokenStore: memoryTokenStore(tokens),
    reconnectBaseMs: 50,
    reconnectMaxMs: 500,
  });
}

/** Registers an account and returns a signed-in client for it, with the password for later logins. */
export async function signedUpClient(baseUrl: string): Promise<{ readonly client: KaifClient; readonly account: RegisteredUser }> {
  const account = await registerUser({ url: baseUrl });
  return { client: sdkClient(baseUrl, { accessToken: account.accessToken, refreshToken: account.refreshToken }), account };
}
