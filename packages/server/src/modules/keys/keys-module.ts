import type { KaifModule, ModuleContext, ModuleInstance } from '../module.js';
import type { KeysApi } from './api.js';
import { forgetEndedSessions } from './ended-sessions.js';
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
    const db = ctx.db.kysely<KeysTables>();
    const directory = new KeyDirectory(db);
    let stopForgetting: (() => void) | undefined;
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
        worker: {
          async open() {
            stopForgetting = forgetEndedSessions(ctx.bus, db, (error) =>
              ctx.logger.warn({ err: error.message }, 'could not drop the devices of ended sessions'),
            );
          },
          async close() {
            stopForgetting?.();
          },
        },
      },
    };
  },
};
