import { getAddress } from 'ethers';
import { toDataURL } from 'qrcode';
import type { Kysely } from 'kysely';
import { KaifError } from '../../../platform/http/kaif-error.js';
import type { HealthCheck } from '../../../platform/health/health.js';
import type { ModuleContext } from '../../module.js';
import type { WalletApi } from '../api.js';
import { ChainLedger } from './chain-ledger.js';
import { ChainKeys, type ChainFamily } from './chain-keys.js';
import { type ChainSettings, chainSettingsOf } from './chain-settings.js';
import type { ChainTables } from './chain-tables.js';
import { DepositAddresses } from './deposit-addresses.js';
import { EvmDepositWatcher } from './deposit-watcher.js';
import { EvmChain } from './evm-chain.js';
import { EvmWithdrawalRail, EvmWithdrawalWorker } from './evm-withdrawals.js';
import { TonCenterNetwork } from './ton-chain.js';
import { TonDepositWatcher } from './ton-deposits.js';
import { newTonMemo, tonHotWallet } from './ton-wallets.js';
import { TonWithdrawalRail, TonWithdrawalWorker } from './ton-withdrawals.js';
import { type WithdrawalRail, WithdrawalRequests } from './withdrawal-requests.js';

/** Blocks of hashes kept for finding the common ancestor after a reorg (and how long a credit stays reversible). */
export const REORG_WINDOW = 128;
const MAX_BLOCKS_PER_ROUND = 500;

/** One round of chain work the worker repeats: a deposit watcher or a withdrawal worker. */
export interface ChainJob {
  readonly name: string;
  start?(): Promise<void>;
  round(): Promise<unknown>;
}

export interface ChainServices {
  readonly settings: ReadonlyMap<string, ChainSettings>;
  readonly withdrawals: WithdrawalRequests;
  readonly jobs: readonly ChainJob[];
  readonly checks: readonly HealthCheck[];
  depositAddress(userId: string, asset: string): Promise<{ asset: string; address: string; memo?: string; uri: string; qrCode: string }>;
  hotWallets(): Promise<{ asset: string; address: string; balance: string | null }[]>;
  /**
   * Ledger against chain, per asset with an endpoint: what the ledger says
   * the platform holds for users (minus `chain_clearing`) and what its
   * addresses hold on chain (hot wallet plus every deposit address). The
   * surplus is the operator's own float; below zero, money is missing (or a
   * withdrawal is mined but not yet settled).
   */
  reconcileWithChain(): Promise<{ asset: string; ledgerHeld: string; onChain: string; surplus: string }[]>;
  stop(): void;
}

/**
 * Builds the chain side of the wallet from configuration: for every enabled
 * asset with an endpoint in KAIF_WALLET_RPC_URLS, its chain client (behind
 * `ctx.policyFor('chain:<asset>')`), deposit watcher and withdrawal worker.
 * The HD seed is generated on first start (sealed at rest).
 */
export async function createChainServices(ctx: ModuleContext, wallet: WalletApi): Promise<ChainServices> {
  const db = ctx.db.kysely<ChainTables>();
  const settings = chainSettingsOf(ctx.config, wallet.assets());
  const evmKeys = await ChainKeys.load(db, ctx.secrets, 'evm');
  const keys = new Map<ChainFamily, ChainKeys>([['evm', evmKeys]]);
  const ton = settings.get('TON');
  const tonKeys = ton?.endpoint ? await ChainKeys.load(db, ctx.secrets, 'ton') : undefined;
  if (tonKeys) keys.set('ton', tonKeys);
  const tonWallet = tonKeys ? await tonHotWallet(tonKeys) : undefined;
  // EVM: an address per user; TON: the hot wallet plus a memo per user (README "TON").
  const addresses = new DepositAddresses(db, keys, async (family, familyKeys, index) =>
    family === 'evm' ? familyKeys.evmDepositAddress(index) : newTonMemo(),
  );
  const ledger = new ChainLedger(wallet);
  const rails = new Map<string, WithdrawalRail>();
  const jobs: ChainJob[] = [];
  const checks: HealthCheck[] = [];
  const chains: EvmChain[] = [];
  const workers = new Map<string, EvmWithdrawalWorker>();
  const stuckAfterMs = ctx.config.KAIF_WALLET_STUCK_AFTER_MS;

  for (const setting of settings.values()) {
    if (setting.asset.chain.kind !== 'evm' || !setting.endpoint) continue;
    const chain = new EvmChain(setting.asset.code, setting.asset.chain.chainId, setting.endpoint, ctx.policyFor(`chain:${setting.asset.code.toLowerCase()}`));
    chains.push(chain);
    rails.set(setting.asset.code, new EvmWithdrawalRail(chain));
    const watcher = new EvmDepositWatcher(
      db,
      chain,
      addresses,
      ledger,
      { confirmations: setting.confirmations, maxBlocksPerRound: MAX_BLOCKS_PER_ROUND, reorgWindow: REORG_WINDOW },
      ctx.logger,
    );
    const worker = new EvmWithdrawalWorker(db, chain, evmKeys, ledger, { confirmations: setting.confirmations, stuckAfterMs }, ctx.logger);
    workers.set(setting.asset.code, worker);
    jobs.push({
      name: `deposits:${chain.asset}`,
      async start() {
        const remote = await chain.remoteChainId();
        if (remote !== chain.chainId) {
          throw new KaifError('CHAIN_NOT_CONFIGURED', `the ${chain.asset} endpoint serves chain ${remote}, not ${chain.chainId}`);
        }
      },
      round: () => watcher.round(),
    });
    jobs.push({ name: `withdrawals:${chain.asset}`, start: () => worker.reconcileNonce(), round: () => worker.round() });
    checks.push({
      name: `chain:${chain.asset.toLowerCase()}`,
      essential: false,
      async check() {
        const head = await chain.head();
        return { status: 'up', detail: `head ${head}` };
      },
    });
  }

  let tonNetwork: TonCenterNetwork | undefined;
  if (ton?.endpoint && tonKeys && tonWallet) {
    const network = new TonCenterNetwork(ton.endpoint, ctx.policyFor('chain:ton'));
    tonNetwork = network;
    rails.set('TON', new TonWithdrawalRail());
    const watcher = new TonDepositWatcher(db, network, tonWallet.address, ledger, ctx.logger);
    const worker = new TonWithdrawalWorker(db, network, tonWallet, tonKeys, ledger, ctx.logger);
    jobs.push({ name: 'deposits:TON', round: () => watcher.round() });
    jobs.push({ name: 'withdrawals:TON', start: () => worker.reconcileNonce(), round: () => worker.round() });
  }

  return {
    settings,
    withdrawals: new WithdrawalRequests(db, settings, rails, ledger, ctx.service('identity')),
    jobs,
    checks,
    async depositAddress(userId, asset) {
      const setting = settings.get(asset);
      if (!setting) throw new KaifError('ASSET_NOT_ENABLED');
      if (!rails.has(asset)) throw new KaifError('CHAIN_NOT_CONFIGURED');
      if (setting.asset.chain.kind === 'evm') {
        const address = getAddress(await addresses.addressOf('evm', userId));
        const uri = `ethereum:${address}@${setting.asset.chain.chainId}`;
        return { asset, address, uri, qrCode: await toDataURL(uri) };
      }
      if (!tonWallet) throw new KaifError('CHAIN_NOT_CONFIGURED');
      const address = tonWallet.address.toString({ bounceable: false });
      const memo = await addresses.addressOf('ton', userId);
      const uri = `ton://transfer/${address}?text=${encodeURIComponent(memo)}`;
      return { asset, address, memo, uri, qrCode: await toDataURL(uri) };
    },
    async hotWallets() {
      return Promise.all(
        chains.map(async (chain) => {
          const address = getAddress(workers.get(chain.asset)!.hotWalletAddress);
          const balance = await chain.balance(address).then(
            (value) => value.toString(),
            () => null,
          );
          return { asset: chain.asset, address, balance };
        }),
      );
    },
    async reconcileWithChain() {
      const held = (await wallet.reconcile()).heldByAsset;
      const evmAddresses = (await db.selectFrom('wallet.deposit_addresses').select('address').where('family', '=', 'evm').execute()).map((row) => row.address);
      const rows: { asset: string; ledgerHeld: string; onChain: string; surplus: string }[] = [];
      for (const chain of chains) {
        let onChain = await chain.balance(workers.get(chain.asset)!.hotWalletAddress);
        for (const address of evmAddresses) onChain += await chain.balance(address);
        const ledgerHeld = BigInt(held[chain.asset] ?? '0');
        rows.push({ asset: chain.asset, ledgerHeld: ledgerHeld.toString(), onChain: onChain.toString(), surplus: (onChain - ledgerHeld).toString() });
      }
      if (tonNetwork && tonWallet) {
        const onChain = await tonNetwork.balance(tonWallet.address);
        const ledgerHeld = BigInt(held.TON ?? '0');
        rows.push({ asset: 'TON', ledgerHeld: ledgerHeld.toString(), onChain: onChain.toString(), surplus: (onChain - ledgerHeld).toString() });
      }
      return rows;
    },
    stop() {
      for (const chain of chains) chain.destroy();
    },
  };
}

/** The database handle the chain side uses, for tests that look at its rows. */
export type ChainDatabase = Kysely<ChainTables>;
