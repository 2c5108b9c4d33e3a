import type { Kysely, Selectable } from 'kysely';
import type { Logger } from '../../../platform/logging/logger.js';
import type { ChainTables, ChainWithdrawalsTable } from './chain-tables.js';

export type WithdrawalRow = Selectable<ChainWithdrawalsTable>;

/** How one chain moves a withdrawal on: sign and send a reserved one, follow one already signed. */
export interface WithdrawalSteps {
  signAndSend(row: WithdrawalRow): Promise<void>;
  advance(row: WithdrawalRow): Promise<void>;
}

/**
 * One worker round over an asset's open withdrawals, in nonce (then
 * arrival) order, on any chain: one that cannot move on now (a node
 * refusing, a timeout) waits for the next round without holding up the rest.
 */
export async function runWithdrawalRound(db: Kysely<ChainTables>, asset: string, logger: Logger, steps: WithdrawalSteps): Promise<void> {
  const open = await db
    .selectFrom('wallet.chain_withdrawals')
    .selectAll()
    .where('asset', '=', asset)
    .where('state', 'in', ['reserved', 'signed', 'broadcast'])
    .orderBy('nonce')
    .orderBy('created_at')
    .execute();
  for (const row of open) {
    try {
      if (row.state === 'reserved') await steps.signAndSend(row);
      else await steps.advance(row);
    } catch (error) {
      logger.warn({ asset, withdrawalId: row.id, err: (error as Error).message }, 'withdrawal could not advance this round');
    }
  }
}
