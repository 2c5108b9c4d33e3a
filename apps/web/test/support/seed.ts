import { KaifClient, nodeWebSocket } from '@kaif/client/node';
import { grantAdmin } from '../../../../packages/server/src/modules/identity/accounts/grant-admin.js';
import type { IdentityTables } from '../../../../packages/server/src/modules/identity/identity-tables.js';
import type { TestServer } from '../../../../test/support/test-server.js';
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

/** Makes a seeded person an admin as an operator would (`kaif admin grant`); their next sign-in carries the role. */
export async function grantAdminTo(server: TestServer, person: SeededUser): Promise<void> {
  if (!(await grantAdmin(server.adapters.db.kysely<IdentityTables>(), person.username))) throw new Error(`no account ${person.username}`);
}
