import { KaifClient, nodeWebSocket } from '@kaif/client/node';
import { PASSWORD } from './app-actions.js';

/** A person created through the SDK, for tests that need someone to talk to. */
export interface SeededUser {
  readonly client: KaifClient;
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
}

export async function seedUser(baseUrl: string, username: string, displayName: string): Promise<SeededUser> {
  // With a WebSocket factory the seeded person can also go online (presence, typing).
  const client = new KaifClient({ baseUrl, webSocket: nodeWebSocket() });
  const { user } = await client.auth.register({ username, email: `${username}@example.test`, password: PASSWORD, displayName });
  return { client, id: user.id, username, displayName };
}
