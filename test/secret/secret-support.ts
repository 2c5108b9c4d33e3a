import { gunzipSync } from 'node:zlib';
import {
  type KaifClient,
  type KeyUpdateSchedule,
  SecretChats,
  type SecretHistory,
  type SecretMessage,
  type SecretStore,
  type Undecryptable,
  memorySecretStore,
} from '@kaif/client/node';
import { sql } from 'kysely';
import type { RegisteredUser } from '../support/accounts.js';
import { sdkClient } from '../support/sdk-clients.js';
import type { TestServer } from '../support/test-server.js';

/** One device of a user: its own session, its own MLS identity, and what it has shown or refused so far. */
export interface TestDevice {
  readonly name: string;
  readonly client: KaifClient;
  readonly secret: SecretChats;
  readonly shown: SecretMessage[];
  readonly refused: Undecryptable[];
}

/** Signs the user in again (a new session: a new device), with its own secret store; publishes a few KeyPackages. */
export async function newDevice(
  server: TestServer,
  account: RegisteredUser,
  name: string,
  store: SecretStore = memorySecretStore(),
  schedule?: KeyUpdateSchedule,
  history?: SecretHistory,
): Promise<TestDevice> {
  const client = sdkClient(server.url);
  await client.auth.login({ login: account.user.username, password: account.password });
  const device = await openDevice(client, store, account.user.id, name, schedule, history);
  await device.secret.topUpKeyPackages(4);
  return device;
}

/** A device's secret chats over a signed-in client, recording what it shows and refuses (also: the same device after a restart). */
export async function openDevice(
  client: KaifClient,
  store: SecretStore,
  userId: string,
  name: string,
  schedule?: KeyUpdateSchedule,
  history?: SecretHistory,
): Promise<TestDevice> {
  const secret = await SecretChats.open(client, store, userId, schedule, history);
  const device: TestDevice = { name, client, secret, shown: [], refused: [] };
  secret.on('secret.message', (message) => device.shown.push(message));
  secret.on('secret.undecryptable', (failure) => device.refused.push(failure));
  return device;
}

export const texts = (device: TestDevice, chatId: string): string[] => device.shown.filter((m) => m.chatId === chatId).map((m) => m.text);

/** Where a string could rest on the server: every row of every table, as text. */
export async function databaseHolds(server: TestServer, needle: string): Promise<boolean> {
  const db = server.adapters.db;
  if (db.kind === 'pglite') {
    // The whole data directory as PGlite keeps it (heap files and WAL), byte for byte.
    const dump = Buffer.from(await (await (db as unknown as { dump(): Promise<Blob> }).dump()).arrayBuffer());
    const raw = dump[0] === 0x1f && dump[1] === 0x8b ? gunzipSync(dump) : dump;
    if (raw.includes(Buffer.from(needle, 'utf8'))) return true;
  }
  const kysely = db.kysely<unknown>();
  const tables = await sql<{ schema: string; name: string }>`
    select table_schema as schema, table_name as name from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`.execute(kysely);
  for (const table of tables.rows) {
    const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(`${table.schema}.${table.name}`)} t`.execute(kysely);
    if (rows.rows.some((row) => row.row.includes(needle))) return true;
  }
  return false;
}
