import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { type ChatClient, ENGINE_SETS, signUp } from './chat-client.js';

const SENDERS = 50;
const EACH = 3;

for (const engines of ENGINE_SETS) {
  describe(`the chat log under concurrent senders (${engines})`, () => {
    let server: TestServer;
    let clients: ChatClient[];
    beforeAll(async () => {
      server = await startTestServer({ engines });
      clients = [];
      for (let batch = 0; batch < SENDERS; batch += 10) {
        clients.push(...(await Promise.all(Array.from({ length: 10 }, () => signUp(server)))));
      }
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
    });

    it(`gives ${SENDERS} concurrent senders seqs 1..N with no gap and no duplicate, and every member a gap-free feed`, async () => {
      const [owner, ...others] = clients;
      const group = await owner!.createChat({ type: 'group', title: 'Crowd', memberIds: others.map((client) => client.id) });
      // Each sender sends its messages one after another, all senders at once.
      const sent = (
        await Promise.all(
          clients.map(async (client, index) => {
            const mine = [];
            for (let round = 0; round < EACH; round++) mine.push(await client.send(group.id, `from ${index} #${round}`, `k${round}`));
            return mine;
          }),
        )
      ).flat();
      const db = server.adapters.db.kysely<unknown>();
      const log = await sql<{ seq: number; type: string }>`
        select seq, type from messaging.chat_events where chat_id = ${group.id} order by seq`.execute(db);
      const seqs = log.rows.map((row) => Number(row.seq));
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, index) => index + 1));
      expect(seqs.length).toBe(SENDERS + SENDERS * EACH);
      const messageSeqs = sent.map((message) => message.seq).sort((a, b) => a - b);
      expect(new Set(messageSeqs).size).toBe(SENDERS * EACH);
      const newSeqs = log.rows.filter((row) => row.type === 'message.new').map((row) => Number(row.seq));
      expect(messageSeqs).toEqual(newSeqs);
      const chat = await owner!.call<{ lastSeq: number }>('GET', `/chats/${group.id}`);
      expect(chat.body.lastSeq).toBe(seqs.length);
      const feeds = await sql<{ user_id: string; n: number; low: number; high: number; pts: number }>`
        select f.user_id, count(*)::int as n, min(f.pts) as low, max(f.pts) as high, s.pts
        from messaging.user_feed f join messaging.user_state s on s.user_id = f.user_id
        where f.user_id in (${sql.join(clients.map((client) => client.id))})
        group by f.user_id, s.pts`.execute(db);
      expect(feeds.rows).toHaveLength(SENDERS);
      for (const feed of feeds.rows) {
        expect(Number(feed.low)).toBe(1);
        expect(Number(feed.high)).toBe(Number(feed.n));
        expect(Number(feed.pts)).toBe(Number(feed.n));
      }
    }, 120_000);
  });
}
