import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServerProcess } from '../support/server-process.js';
import { goOnline, signUp } from './realtime-fixtures.js';

describe('durability of acknowledged sends', () => {
  let node: ServerProcess | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    await node?.kill();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps a message acknowledged over /ws through kill -9 and a restart', { timeout: 120_000 }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kaif-durability-'));
    // Embedded PGlite on disk: the one-process shape a laptop runs.
    node = await startServerProcess({ KAIF_DATA_DIR: dataDir });
    const alice = await signUp(node.url);
    const chat = await alice.client.chats.create({ type: 'group', title: 'durable' });
    await goOnline(alice.client);
    const acked = await alice.client.realtime.sendMessage({ chatId: chat.id, text: 'survives kill -9' });
    alice.client.realtime.disconnect();
    await node.kill();

    await node.restart();
    const login = await fetch(`${node.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: (await alice.client.tokens.tokens())!.refreshToken }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const history = await fetch(`${node.url}/api/v1/chats/${chat.id}/messages?limit=10`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    const { messages } = (await history.json()) as { messages: { id: string; text: string }[] };
    expect(messages).toEqual([expect.objectContaining({ id: acked.id, text: 'survives kill -9' })]);
  });
});
