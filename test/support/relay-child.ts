/**
 * A relay process for the outbox crash test: publishes the pending batch to
 * the bus, then kills itself with SIGKILL before it can mark the batch
 * published — the worst moment for a crash.
 */
import { openNatsBus } from '../../packages/server/src/platform/bus/nats-bus.js';
import { openPostgresDatabase } from '../../packages/server/src/platform/db/postgres-database.js';
import { OutboxRelay } from '../../packages/server/src/platform/outbox/outbox-relay.js';
import { adapterDeps } from './adapter-fixtures.js';

const [databaseUrl, natsUrl] = process.argv.slice(2) as [string, string];
const deps = adapterDeps('child');
const db = await openPostgresDatabase({ url: databaseUrl, poolSize: 2, ...deps });
const bus = await openNatsBus(natsUrl, deps);
const relay = new OutboxRelay(db, bus, deps.logger, deps.registry, {
  afterPublish: async () => {
    process.stdout.write('published\n');
    process.kill(process.pid, 'SIGKILL');
  },
});
await relay.drain();
