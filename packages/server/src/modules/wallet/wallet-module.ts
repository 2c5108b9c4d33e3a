import type { KaifModule, ModuleContext, ModuleInstance } from '../module.js';
import type { WalletApi } from './api.js';
import { AssetRegistry } from './assets.js';
import { registerWalletRoutes } from './wallet-routes.js';
import { WalletService } from './wallet-service.js';
import { type WalletTables, walletMigrations } from './wallet-tables.js';

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
    migrations: walletMigrations,
    dependsOn: ['identity', 'messaging'],
    async init(ctx: ModuleContext): Promise<ModuleInstance<WalletApi>> {
      const assets = AssetRegistry.fromConfig(ctx.config.KAIF_WALLET_ASSETS, ctx.config.KAIF_WALLET_EVM_ASSETS);
      const wallet = new WalletService(ctx.db.kysely<WalletTables>(), assets);
      return {
        api: wallet.api(),
        listeners: {
          api: {
            async open() {
              registerWalletRoutes(ctx.http, wallet);
            },
          },
        },
      };
    },
  };
}

export const walletModule = createWalletModule();
