import { sql } from 'kysely';
import type { ChainKeys, ChainFamily } from './chain-keys.js';
import type { ChainDb } from './chain-tables.js';

/** Fixed: assignments of new derivation indexes take turns, so no index is handed out twice. */
const ASSIGN_LOCK_ID = 7_311_261;

/**
 * Each user's own deposit address per chain family, derived from the
 * family's HD seed at the next free BIP-44 index and kept, so it never
 * changes and is never shared. One EVM address serves every EVM chain (the
 * same key controls it on Ethereum and BSC), which is also what protects a
 * user who sends on the wrong EVM chain: the platform still holds the key.
 */
export class DepositAddresses {
  constructor(
    private readonly db: ChainDb,
    private readonly keys: ReadonlyMap<ChainFamily, ChainKeys>,
    private readonly derive: (family: ChainFamily, keys: ChainKeys, index: number) => Promise<string>,
  ) {}

  async addressOf(family: ChainFamily, userId: string): Promise<string> {
    const existing = await this.db
      .selectFrom('wallet.deposit_addresses')
      .select('address')
      .where('family', '=', family)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (existing) return existing.address;
    const keys = this.keys.get(family);
    if (!keys) throw new Error(`no keys for chain family ${family}`);
    return this.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${ASSIGN_LOCK_ID})`.execute(trx);
      const raced = await trx
        .selectFrom('wallet.deposit_addresses')
        .select('address')
        .where('family', '=', family)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (raced) return raced.address;
      const last = await trx
        .selectFrom('wallet.deposit_addresses')
        .select((eb) => eb.fn.max('derivation_index').as('max'))
        .where('family', '=', family)
        .executeTakeFirst();
      const index = last?.max === null || last?.max === undefined ? 0 : Number(last.max) + 1;
      const address = await this.derive(family, keys, index);
      await trx.insertInto('wallet.deposit_addresses').values({ family, user_id: userId, derivation_index: index, address }).execute();
      return address;
    });
  }

  /** Which of these addresses are users' deposit addresses, and whose. */
  async owners(family: ChainFamily, addresses: readonly string[]): Promise<Map<string, { userId: string; index: number }>> {
    if (addresses.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('wallet.deposit_addresses')
      .select(['address', 'user_id', 'derivation_index'])
      .where('family', '=', family)
      .where('address', 'in', [...new Set(addresses)])
      .execute();
    return new Map(rows.map((row) => [row.address, { userId: row.user_id, index: row.derivation_index }]));
  }
}
