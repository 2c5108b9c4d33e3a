import type { Kysely } from 'kysely';
import { ChainKeys } from '../../packages/server/src/modules/wallet/chains/chain-keys.js';
import { ChainLedger } from '../../packages/server/src/modules/wallet/chains/chain-ledger.js';
import type { ChainTables } from '../../packages/server/src/modules/wallet/chains/chain-tables.js';
import { DepositAddresses } from '../../packages/server/src/modules/wallet/chains/deposit-addresses.js';
import { EvmDepositWatcher } from '../../packages/server/src/modules/wallet/chains/deposit-watcher.js';
import { EvmChain } from '../../packages/server/src/modules/wallet/chains/evm-chain.js';
import { EvmWithdrawalWorker } from '../../packages/server/src/modules/wallet/chains/evm-withdrawals.js';
import type { LocalChain } from '../support/anvil.js';
import type { TestServer } from '../support/test-server.js';

/** Env that points a test server's ETH at a local anvil, with N confirmations. */
export function evmEnv(chain: LocalChain, confirmations: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAIF_WALLET_ASSETS: 'ETH',
    KAIF_WALLET_EVM_ASSETS: JSON.stringify([{ asset: 'ETH', chainId: chain.chainId }]),
    KAIF_WALLET_RPC_URLS: `ETH=${chain.url}`,
    KAIF_WALLET_CONFIRMATIONS: String(confirmations),
    ...extra,
  };
}

/**
 * The worker side of a server started without the worker role, built the
 * way the wallet module builds it, over the server's own database, keys and
 * ledger, so a test drives rounds one at a time. A new rig over the same
 * server is a restarted worker: nothing carries over but the database.
 */
export async function workerRig(server: TestServer, chain: LocalChain, options: { confirmations: number; stuckAfterMs?: number }) {
  const db = server.adapters.db.kysely<ChainTables>();
  const keys = await ChainKeys.load(db, server.adapters.secrets, 'evm');
  const evm = new EvmChain('ETH', chain.chainId, chain.url, server.adapters.policyFor('chain:eth'));
  const ledger = new ChainLedger(server.service('wallet'));
  const addresses = new DepositAddresses(db, new Map([['evm', keys]]), async (_family, familyKeys, index) => familyKeys.evmDepositAddress(index));
  const watcher = new EvmDepositWatcher(
    db,
    evm,
    addresses,
    ledger,
    { confirmations: options.confirmations, maxBlocksPerRound: 500, reorgWindow: 128 },
    server.logger,
  );
  const worker = new EvmWithdrawalWorker(db, evm, keys, ledger, { confirmations: options.confirmations, stuckAfterMs: options.stuckAfterMs ?? 60_000 }, server.logger);
  return { db, keys, evm, watcher, worker, stop: () => evm.destroy() };
}

export type ChainDb = Kysely<ChainTables>;
