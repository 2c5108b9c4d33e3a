import type { KaifModule, ModuleContext, ModuleInstance } from '../module.js';
import type { WalletApi } from './api.js';
import { AssetRegistry } from './assets.js';
import { registerWalletRoutes } from './wallet-routes.js';
import { WalletService } from './wallet-service.js';
import { type WalletTables, walletMigrations } from './wallet-tables.js';
import { chainSealedKeyIds } from './chains/chain-keys.js';
import { ChainRunner } from './chains/chain-runner.js';
import { registerChainRoutes } from './chains/chain-routes.js';
import { createChainServices } from './chains/chain-services.js';
import { type ChainTables, chainMigrations } from './chains/chain-tables.js';

/**
 * Wallets on a double-entry ledger (README.md beside this file): balances
 * per user and asset, internal transfers (also as `transfer` messages in a
 * chat), escrow holds for trades and the marketplace, P2P trades, and the
 * audit log. Chain code (deposits, withdrawals) posts on the same ledger
 * through WalletApi.post. Stateless: any number of processes serve it
 * against the shared database.
 */
export function createWalletModule(): KaifModule {
  return {
    name: 'wallet',
    migrations: { schema: walletMigrations.schema, migrations: { ...walletMigrations.migrations, ...chainMigrations } },
    // The chains' HD seeds are sealed at rest (chains/README.md).
    sealedKeyIds: (db) => chainSealedKeyIds(db.kysely<ChainTables>()),
    dependsOn: ['identity', 'messaging'],
    async init(ctx: ModuleContext): Promise<ModuleInstance<WalletApi>> {
      const assets = AssetRegistry.fromConfig(ctx.config.KAIF_WALLET_ASSETS, ctx.config.KAIF_WALLET_EVM_ASSETS);
      const wallet = new WalletService(ctx.db.kysely<WalletTables>(), assets);
      const chains = await createChainServices(ctx, wallet.api());
      const runner = new ChainRunner(chains.jobs, ctx.config.KAIF_WALLET_CHAIN_POLL_MS, ctx.logger);
      return {
        api: wallet.api(),
        checks: chains.checks,
        async stop() {
          await runner.stop();
          chains.stop();
        },
        listeners: {
          api: {
            async open() {
              registerWalletRoutes(ctx.http, wallet);
              registerChainRoutes(ctx.http, chains);
            },
          },
          worker: {
            async open() {
              runner.start();
            },
            close: () => runner.stop(),
          },
        },
      };
    },
  };
}

export const walletModule = createWalletModule();
