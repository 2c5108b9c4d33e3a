import { sql } from 'kysely';
import type { SealedSample } from '../../platform/crypto/secret-box.js';
import type { Database } from '../../platform/db/database.js';
import type { IdentityTables } from './identity-tables.js';

/**
 * One value per at-rest key id that identity's sealed columns use (signing
 * keys, bound to their kid; TOTP seeds, bound to their user), for the
 * start-up check. A sealed value is `v1.<kid>.<iv>.<body>` (SecretBox), so
 * the kid is its second field. Read once at start: a scan of two small tables.
 */
export async function identitySealedSamples(database: Database): Promise<readonly SealedSample[]> {
  const { rows } = await sql<SealedSample>`
    select distinct on (split_part(sealed, '.', 2)) sealed, associated_data as "associatedData"
    from (
      select private_key_sealed as sealed, kid as associated_data from identity.signing_keys
      union all
      select sealed, user_id::text from identity.two_factor,
        lateral (values (secret_sealed), (pending_secret_sealed)) as columns (sealed)
      where sealed is not null
    ) as values_sealed
    order by split_part(sealed, '.', 2)`.execute(database.kysely<IdentityTables>());
  return rows;
}
