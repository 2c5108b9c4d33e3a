import type { KaifModule, ModuleContext, ModuleInstance } from '../module.js';
import type { KeysApi } from './api.js';
import { KeyDirectory } from './key-directory.js';
import { registerKeysRoutes } from './keys-routes.js';
import { type KeysTables, keysMigrations } from './keys-tables.js';

/**
 * The MLS key directory for secret chats: devices and their KeyPackages
 * (see README.md). Stateless: any number of processes serve it.
 */
export const keysModule: KaifModule = {
  name: 'keys',
  migrations: keysMigrations,
  dependsOn: ['identity'],
  async init(ctx: ModuleContext): Promise<ModuleInstance<KeysApi>> {
    const directory = new KeyDirectory(ctx.db.kysely<KeysTables>());
    return {
      api: {
        ownersOf: (deviceIds) => directory.ownersOf(deviceIds),
        assertOwnDevice: (userId, sessionId, deviceId) => directory.assertOwnDevice(userId, sessionId, deviceId),
      },
      listeners: {
        api: {
          async open() {
            registerKeysRoutes(ctx.http, directory);
          },
        },
      },
    };
  },
};
