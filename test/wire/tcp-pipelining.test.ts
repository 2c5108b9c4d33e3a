import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineBatching, laneOf } from '../../packages/server/src/modules/messaging/log-batcher.js';
import { engineAvailable } from '../support/engines.js';
import type { TestServer } from '../support/test-server.js';
import { type Person, signUpPerson } from './support/people.js';
import { rawAuthenticated } from './support/raw-tcp.js';
import { startWireServer, tcpPort } from './support/wire-server.js';

/** The batcher lane of a chat on PostgreSQL. */
const postgresLane = (chatId: string) => laneOf(chatId, engineBatching('postgres').lanes);

const send = (chatId: string, clientMsgId: string) => ({ packet_type: 'SendMessage', message: { chat_id: chatId, content: clientMsgId }, client_msg_id: clientMsgId });

/**
 * A connection reads its next packets while its earlier sends are in
 * flight: a send that arrives after them starts at once and commits in its
 * own batch, even while theirs waits. Until 2026-11-30 the connection
 * stopped reading once its queue was empty until every send in flight had
 * its Ack, so one connection's batches took turns instead of overlapping
 * (this test then waited for the second send in vain).
 */
describe.runIf(engineAvailable('postgres'))('CosmicProto TCP pipelining (PostgreSQL)', () => {
  let server: TestServer;
  let ana: Person;
  let blocked: string;
  let free: string;
  let db: pg.Client;
  beforeAll(async () => {
    server = await startWireServer({ engines: 'real' });
    ana = await signUpPerson(server);
    const others = await Promise.all([signUpPerson(server), signUpPerson(server)]);
    // Two groups in different lanes, so one lane's wait does not hold the other's batch.
    blocked = await ana.groupWith(others);
    do free = await ana.groupWith(others);
    while (postgresLane(free) === postgresLane(blocked));
    db = new pg.Client({ connectionString: server.databaseUrl });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await server?.stop();
  });

  const stored = async (clientMsgId: string) =>
    (await db.query('select 1 from messaging.messages where client_msg_id = $1', [clientMsgId])).rowCount === 1;

  it('starts a send that arrives while an earlier one waits, and still answers both in packet order', async () => {
    const client = await rawAuthenticated(tcpPort(server), ana.accessToken);
    // Another transaction holds the first chat's row: its batch waits for the lock.
    await db.query('begin');
    await db.query('select 1 from messaging.chats where id = $1 for update', [blocked]);
    try {
      client.write(send(blocked, 'waits'));
      // Long enough for the connection to have read and started the first send, and gone idle.
      await new Promise((resolve) => setTimeout(resolve, 200));
      client.write(send(free, 'overtakes'));
      const deadline = Date.now() + 5_000;
      while (!(await stored('overtakes')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(await stored('overtakes')).toBe(true);
      expect(await stored('waits')).toBe(false);
    } finally {
      await db.query('commit');
    }
    const replies = await client.nextReplies(2);
    expect(replies).toEqual([
      expect.objectContaining({ packet_type: 'Ack', success: true, client_msg_id: 'waits' }),
      expect.objectContaining({ packet_type: 'Ack', success: true, client_msg_id: 'overtakes' }),
    ]);
    client.close();
  });
});
