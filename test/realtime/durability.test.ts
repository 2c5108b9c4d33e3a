import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_SECRET_KEY } from '../support/test-server.js';
import { goOnline, signUp } from './realtime-fixtures.js';

const KAIF_BIN = join(import.meta.dirname, '../../packages/server/bin/kaif.js');

/** `kaif start` as a child process on embedded PGlite in `dataDir`; resolves with its HTTP URL. */
async function startKaif(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [KAIF_BIN, 'start'], {
    env: {
      ...process.env,
      KAIF_DATA_DIR: dataDir,
      PORT: '0',
      TCP_PORT: '0',
      UDP_PORT: '0',
      HOST: '127.0.0.1',
      KAIF_SECRET_KEY: TEST_SECRET_KEY,
      KAIF_WORKERS: '1',
      DATABASE_URL: '',
      REDIS_URL: '',
      NATS_URL: '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split('\n')) {
        if (!line.includes('"kaif started"')) continue;
        const { ports } = JSON.parse(line) as { ports: { http: number } };
        resolve(`http://127.0.0.1:${ports.http}`);
      }
    });
    child.once('exit', (code) => reject(new Error(`kaif exited with ${code} before starting`)));
  });
  return { child, url };
}

describe('durability of acknowledged sends', () => {
  const children: ChildProcess[] = [];
  let dataDir: string | undefined;
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps a message acknowledged over /ws through kill -9 and a restart', { timeout: 120_000 }, async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kaif-durability-'));
    const first = await startKaif(dataDir);
    children.push(first.child);
    const alice = await signUp(first.url);
    const chat = await alice.client.chats.create({ type: 'group', title: 'durable' });
    await goOnline(alice.client);
    const acked = await alice.client.realtime.sendMessage({ chatId: chat.id, text: 'survives kill -9' });
    alice.client.realtime.disconnect();
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = await startKaif(dataDir);
    children.push(second.child);
    const login = await fetch(`${second.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: (await alice.client.tokens.tokens())!.refreshToken }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const history = await fetch(`${second.url}/api/v1/chats/${chat.id}/messages?limit=10`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    const { messages } = (await history.json()) as { messages: { id: string; text: string }[] };
    expect(messages).toEqual([expect.objectContaining({ id: acked.id, text: 'survives kill -9' })]);
  });
});
