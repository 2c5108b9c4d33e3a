import type { KaifModule, ModuleContext, ModuleInstance } from '../module.js';
import type { WalletModuleApi } from './api.js';
import { AssetRegistry } from './assets.js';
import { NOT_CONFIGURED_SWAP, type SwapProvider } from './swap.js';
import { registerTradeRoutes } from './trade-routes.js';
import { TradeService } from './trade-service.js';
import { registerTransferRoutes } from './transfer-routes.js';
import { TransferService } from './transfer-service.js';
import { registerWalletRoutes } from './wallet-routes.js';
import { WalletService } from './wallet-service.js';
import { type WalletTables, walletMigrations } from './wallet-tables.js';
import { chainSealedSamples } from './chains/chain-keys.js';
import { ChainRunner } from './chains/chain-runner.js';
import { registerChainRoutes } from './chains/chain-routes.js';
import { createChainServices } from './chains/chain-services.js';
import { type ChainTables, chainMigrations } from './chains/chain-tables.js';
import { custodialNfts } from './chains/custodial-nfts.js';

/**
 * Wallets on a double-entry ledger (README.md beside this file): balances
 * per user and asset, internal transfers (also as `transfer` messages in a
 * chat), escrow holds for trades and the marketplace, P2P trades, and the
 * audit log. Chain code (deposits, withdrawals) posts on the same ledger
 * through WalletApi.post. Stateless: any number of processes serve it
 * against the shared database.
 */
export interface WalletModuleOptions {
  /** How often the worker looks for due work: transfer messages a crash left behind. */
  readonly sweepEveryMs: number;
  /** A transfer's chat message is the sweep's once its transfer is this old (before, the request posts it). */
  readonly messageGraceMs: number;
  /** The DEX swap seam; the default answers SWAP_NOT_CONFIGURED. */
  readonly swap: SwapProvider;
}

export const DEFAULT_WALLET_OPTIONS: WalletModuleOptions = { sweepEveryMs: 5_000, messageGraceMs: 10_000, swap: NOT_CONFIGURED_SWAP };

export function createWalletModule(overrides: Partial<WalletModuleOptions> = {}): KaifModule {
  const options = { ...DEFAULT_WALLET_OPTIONS, ...overrides };
  return {
    name: 'wallet',
    migrations: { schema: walletMigrations.schema, migrations: { ...walletMigrations.migrations, ...chainMigrations } },
    // The chains' HD seeds are sealed at rest (chains/README.md).
    sealedSamples: (db) => chainSealedSamples(db.kysely<ChainTables>()),
    dependsOn: ['identity', 'messaging'],
    async init(ctx: ModuleContext): Promise<ModuleInstance<WalletModuleApi>> {
      const assets = AssetRegistry.fromConfig(ctx.config.KAIF_WALLET_ASSETS, ctx.config.KAIF_WALLET_EVM_ASSETS);
      const logger = ctx.logger.child({ module: 'wallet' });
      const wallet = new WalletService(ctx.db.kysely<WalletTables>(), assets, ctx.outboxCommitted);
      const transfers = new TransferService(wallet, ctx.service('messaging'), ctx.service('identity'), logger);
      const trades = new TradeService(wallet, () => ctx.config.KAIF_WALLET_TRADE_TIMEOUT_SECONDS * 1000, logger);
      const chains = await createChainServices(ctx, wallet.api());
      const runner = new ChainRunner(chains.jobs, ctx.config.KAIF_WALLET_CHAIN_POLL_MS, ctx.logger);
      let sweep: NodeJS.Timeout | undefined;
      let sweeping: Promise<unknown> = Promise.resolve();
      let busy = false;
      const stopWorker = async () => {
        clearInterval(sweep);
        sweep = undefined;
        await sweeping;
        await runner.stop();
      };
      return {
        api: { ...wallet.api(), nfts: custodialNfts(ctx, wallet.api()) },
        checks: chains.checks,
        async stop() {
          await stopWorker();
          chains.stop();
        },
        listeners: {
          api: {
            async open() {
              registerWalletRoutes(ctx.http, wallet);
              registerTransferRoutes(ctx.http, transfers);
              registerTradeRoutes(ctx.http, trades, options.swap);
              registerChainRoutes(ctx.http, chains);
            },
          },
          worker: {
            async open() {
              sweep = setInterval(() => {
                if (ctx.isDraining() || busy) return;
                busy = true;
                sweeping = Promise.all([transfers.sweepMessages(options.messageGraceMs), trades.expire()])
                  .catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'wallet sweep failed; will retry'))
                  .finally(() => {
                    busy = false;
                  });
              }, options.sweepEveryMs);
              sweep.unref();
              runner.start();
            },
            close: stopWorker,
          },
        },
      };
    },
  };
}

export const walletModule = createWalletModule();
