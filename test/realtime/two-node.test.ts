import type { ChatEventFrame } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { type RunningServer, startServer } from '../../packages/server/src/server.js';
import { ENGINE_URLS, type ScratchDatabase, createScratchDatabase, engineAvailable, scratchPrefix } from '../support/engines.js';
import { testConfig } from '../support/test-server.js';
import { goOnline, signUp, waitFor } from './realtime-fixtures.js';

const enginesReady = engineAvailable('postgres') && engineAvailable('nats') && engineAvailable('redis');

describe.skipIf(!enginesReady)('two nodes on shared PostgreSQL, NATS and Redis', () => {
  let scratch: ScratchDatabase;
  const nodes: RunningServer[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    const env = {
      DATABASE_URL: scratch.url,
      NATS_URL: ENGINE_URLS.nats!,
      REDIS_URL: ENGINE_URLS.redis!,
      KAIF_REDIS_PREFIX: scratchPrefix(),
      LOG_LEVEL: 'silent',
    };
    // Two nodes in one test process, each with its own adapters: they share only the engines.
    for (let index = 0; index < 2; index++) {
      const config = testConfig(env);
      nodes.push(await startServer({ config, logger: createLogger('silent'), modules: MODULES, relay: { pollMs: 100 } }));
    }
  });
  afterAll(async () => {
    for (const node of nodes) await node.stop();
    await scratch?.drop();
  });

  it('delivers live to a user on node B what was sent through node A', async () => {
    const [nodeA, nodeB] = nodes as [RunningServer, RunningServer];
    const alice = await signUp(nodeA.url);
    const bob = await signUp(nodeB.url);
    const chat = await alice.client.chats.create({ type: 'direct', memberIds: [bob.user.id] });
    await goOnline(alice.client);
    await goOnline(bob.client);
    const received: Extract<ChatEventFrame, { type: 'message.new' }>[] = [];
    bob.client.on('message.new', (event) => received.push(event));

    const viaWebSocket = await alice.client.realtime.sendMessage({ chatId: chat.id, text: 'from node A over /ws' });
    const viaHttp = await alice.client.messages.send(chat.id, { text: 'from node A over HTTP' });
    await waitFor(() => received.length === 2, 10_000, 'bob on node B to receive both');
    expect(received.map((event) => event.data.id)).toEqual([viaWebSocket.id, viaHttp.id]);

    const subscriptions = await nodeB.registry.getSingleMetric('kaif_realtime_chat_subscriptions')!.get();
    expect(subscriptions.values[0]!.value).toBe(1);
    alice.client.realtime.disconnect();
    bob.client.realtime.disconnect();
  });
});
