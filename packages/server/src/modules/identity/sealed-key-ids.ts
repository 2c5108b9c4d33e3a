import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import type { IdentityTables } from './identity-tables.js';

/**
 * The at-rest key ids that identity's sealed columns use (signing keys, TOTP
 * seeds). A sealed value is `v1.<kid>.<iv>.<body>` (SecretBox), so the kid is
 * its second field. Read once at start: a scan of two small tables.
 */
export async function identitySealedKeyIds(database: Database): Promise<readonly string[]> {
  const { rows } = await sql<{ kid: string }>`
    select split_part(private_key_sealed, '.', 2) as kid from identity.signing_keys
    union
    select split_part(sealed, '.', 2) from identity.two_factor,
      lateral (values (secret_sealed), (pending_secret_sealed)) as columns (sealed)
    where sealed is not null`.execute(database.kysely<IdentityTables>());
  return rows.map((row) => row.kid);
}
