import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signUp } from '../realtime/realtime-fixtures.js';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';

const SENDERS = 32;
const KILLS = 3;

interface Acked {
  readonly id: string;
  readonly seq: number;
}

/**
 * Group commit under kill -9: many senders keep batches full while the node
 * is killed several times; each sender retries a send until it is
 * acknowledged, with the same clientMsgId. Every acknowledged send must be
 * stored, once, with the id its ack gave.
 */
describe('kill -9 in the middle of batches (embedded PGlite on disk)', () => {
  let node: ServerProcess | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    await node?.kill();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(`loses no acknowledged send and stores none twice across ${KILLS} kills`, { timeout: 240_000 }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kaif-kill9-batches-'));
    node = await startServerProcess({ KAIF_DATA_DIR: dataDir, KAIF_RATE_LIMIT_PER_MINUTE: '1000000' });
    const alice = await signUp(node.url);
    const chat = await alice.client.chats.create({ type: 'group', title: 'batches under fire' });
    const token = (await alice.client.tokens.tokens())!.accessToken;
    const acked = new Map<string, Acked>();
    let stop = false;

    const sendUntilAcked = async (clientMsgId: string) => {
      for (;;) {
        try {
          const response = await fetch(`${node!.url}/api/v1/chats/${chat.id}/messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ clientMsgId, text: `message ${clientMsgId}` }),
            signal: AbortSignal.timeout(5_000),
          });
          if (response.status === 201 || response.status === 200) {
            const message = (await response.json()) as Acked;
            acked.set(clientMsgId, { id: message.id, seq: message.seq });
            return;
          }
          await response.body?.cancel();
        } catch {
          // The node is down or was killed mid-request: retry the same clientMsgId.
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const senders = Array.from({ length: SENDERS }, async (_, sender) => {
      for (let index = 0; !stop; index++) await sendUntilAcked(`s${sender}-${index}`);
    });

    for (let kill = 0; kill < KILLS; kill++) {
      const before = acked.size;
      await expect.poll(() => acked.size, { timeout: 60_000, interval: 50 }).toBeGreaterThan(before + 200);
      await node.kill();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await node.restart();
    }
    await expect.poll(() => acked.size, { timeout: 60_000, interval: 50 }).toBeGreaterThan(KILLS * 200 + 100);
    stop = true;
    await Promise.all(senders);

    const stored = new Map<string, Acked & { count: number }>();
    for (let after = 0; ; ) {
      const response = await fetch(`${node.url}/api/v1/chats/${chat.id}/messages?after=${after}&limit=100`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const { messages } = (await response.json()) as { messages: (Acked & { clientMsgId: string })[] };
      if (messages.length === 0) break;
      for (const message of messages) {
        const seen = stored.get(message.clientMsgId);
        stored.set(message.clientMsgId, { id: message.id, seq: message.seq, count: (seen?.count ?? 0) + 1 });
      }
      after = messages.at(-1)!.seq;
    }
    for (const [clientMsgId, ack] of acked) expect(stored.get(clientMsgId), clientMsgId).toEqual({ ...ack, count: 1 });
    expect([...stored.values()].every((message) => message.count === 1)).toBe(true);
  });
});
