import { Registry } from 'prom-client';
import { messagingMigrations } from '../../packages/server/src/modules/messaging/messaging-tables.js';
import type { Database } from '../../packages/server/src/platform/db/database.js';
import { openPostgresDatabase } from '../../packages/server/src/platform/db/postgres-database.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { platformMigrations } from '../../packages/server/src/platform/outbox/outbox-tables.js';
import { createDependencyPolicy } from '../../packages/server/src/platform/resilience/dependency-policy.js';
import { type ScratchDatabase, createScratchDatabase, engineAvailable } from '../support/engines.js';
import { openMigratedPglite } from '../support/pglite-template.js';

/** The messaging module's tables on each engine: PGlite from its migrated template, PostgreSQL in a scratch database. */
export interface MessagingEngine {
  readonly name: string;
  readonly available: () => boolean;
  readonly open: () => Promise<{ db: Database; close: () => Promise<void> }>;
  /** Concurrent batch lanes: one on PGlite's single connection, two on PostgreSQL. */
  readonly lanes: number;
}

export const MESSAGING_ENGINES: readonly MessagingEngine[] = [
  {
    name: 'PGlite',
    available: () => true,
    lanes: 1,
    async open() {
      const db = await openMigratedPglite();
      return { db, close: () => db.close() };
    },
  },
  {
    name: 'PostgreSQL',
    available: () => engineAvailable('postgres'),
    lanes: 2,
    async open() {
      const scratch: ScratchDatabase = await createScratchDatabase();
      const logger = createLogger('silent');
      const registry = new Registry();
      const db = await openPostgresDatabase({ url: scratch.url, poolSize: 8, policy: createDependencyPolicy('postgres', { logger, registry }), logger, registry });
      await db.migrate([platformMigrations, messagingMigrations]);
      return {
        db,
        async close() {
          await db.close();
          await scratch.drop();
        },
      };
    },
  },
];

