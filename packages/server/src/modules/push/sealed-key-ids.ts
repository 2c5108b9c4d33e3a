import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import type { PushTables } from './push-tables.js';

/** The at-rest key id the VAPID private key was sealed with (`v1.<kid>.…`), checked at start. */
export async function pushSealedKeyIds(database: Database): Promise<readonly string[]> {
  const { rows } = await sql<{ kid: string }>`
    select split_part(private_key_sealed, '.', 2) as kid from push.vapid_keys`.execute(database.kysely<PushTables>());
  return rows.map((row) => row.kid);
}
