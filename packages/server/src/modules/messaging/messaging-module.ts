import type { UserId } from '@kaif/protocol';
import { Histogram, type Registry } from 'prom-client';
import type { KaifModule, ModuleContext, ModuleInstance } from '../module.js';
import type { MessagingApi } from './api.js';
import { registerChatRoutes } from './chat-routes.js';
import { registerMessageRoutes } from './message-routes.js';
import type { MessagingDeps } from './messaging-deps.js';
import { createMessagingServices } from './messaging-services.js';
import { engineBatching } from './log-batcher.js';
import { registerSearchRoutes } from './search-routes.js';
import { type MessagingTables, messagingMigrations } from './messaging-tables.js';
import { registerSecretRoutes } from './secret-routes.js';
import { SecretService } from './secret-service.js';

/** Group commit as an operator sees it: how full the batches are and how long each transaction holds its lane. */
function batchMetrics(registry: Registry): (operations: number, seconds: number) => void {
  const size = new Histogram({
    name: 'kaif_messaging_batch_operations',
    help: 'Log appends (sends, edits, deletes, reads, member changes) per group-commit transaction',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'kaif_messaging_batch_seconds',
    help: 'Time from BEGIN to COMMIT of one group-commit transaction',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return (operations, seconds) => {
    size.observe(operations);
    duration.observe(seconds);
  };
}

/**
 * Chats, groups and channels on a gap-free per-chat event log, with a
 * per-user change feed (see README.md). Stateless: any number of processes
 * serve it against the shared database.
 */
export const messagingModule: KaifModule = {
  name: 'messaging',
  migrations: messagingMigrations,
  dependsOn: ['identity', 'keys'],
  async init(ctx: ModuleContext): Promise<ModuleInstance<MessagingApi>> {
    const identity = ctx.service('identity');
    const deps: MessagingDeps = {
      db: ctx.db.kysely<MessagingTables>(),
      async unknownUsers(ids) {
        const found = new Set((await identity.getUsers(ids as UserId[])).map((user) => user.id as string));
        return ids.filter((id) => !found.has(id));
      },
      committed: ctx.outboxCommitted,
      logBatching: {
        maxBatch: ctx.config.KAIF_SEND_BATCH_MAX,
        windowMs: ctx.config.KAIF_SEND_BATCH_WINDOW_MS,
        deliveryBehind: () => ctx.outboxBehindMs() > ctx.config.KAIF_SEND_MAX_DELIVERY_LAG_MS,
        ...engineBatching(ctx.db.kind),
        observeBatch: batchMetrics(ctx.registry),
      },
    };
    const services = createMessagingServices(deps);
    const secret = new SecretService(deps, services.batcher, ctx.service('keys'));
    return {
      api: { ...services.api, sendSecret: (userId, chatId, input) => secret.send(userId, chatId, input) },
      listeners: {
        api: {
          async open() {
            registerChatRoutes(ctx.http, services);
            registerMessageRoutes(ctx.http, services);
            registerSearchRoutes(ctx.http, services);
            registerSecretRoutes(ctx.http, secret);
          },
        },
      },
    };
  },
};
