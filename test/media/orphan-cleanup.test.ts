import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { MediaView, MessageView } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { createMediaModule } from '../../packages/server/src/modules/media/media-module.js';
import { ENGINE_SETS } from '../messaging/chat-client.js';
import { type RegisteredUser, authHeaders, registerUser } from '../support/accounts.js';
import { type LocalS3, startLocalS3 } from '../support/s3-server.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { fetchMedia, upload } from './media-fixtures.js';

// Long enough that the uploads, the chat and both sends (seconds on a loaded
// host) finish before the sweep may take the unsent media.
const GRACE_MS = 6000;
const STRAY_GRACE_MS = 3000;
const SWEEP = { graceMs: GRACE_MS, recheckMs: 200, everyMs: 200, strayGraceMs: STRAY_GRACE_MS, strayEveryMs: 200 };

/**
 * Blobs no row names — written just before a crash, before their row
 * committed — are found by listing the blob store and deleted once older
 * than the grace period; young ones (a row about to commit) and named ones stay.
 */
async function strayBlobsAreSwept(server: TestServer, owner: RegisteredUser, peer: RegisteredUser) {
  const kept = (await upload(server.url, owner.accessToken, Buffer.from('kept\n'.repeat(50)), 'kept.txt')).body as unknown as MediaView;
  const chat = (await (await fetch(`${server.url}/api/v1/chats`, { method: 'POST', headers: authHeaders(owner.accessToken), body: JSON.stringify({ type: 'direct', memberIds: [peer.user.id] }) })).json()) as { id: string };
  const sent = await fetch(`${server.url}/api/v1/chats/${chat.id}/messages`, { method: 'POST', headers: authHeaders(owner.accessToken), body: JSON.stringify({ clientMsgId: 'kept', mediaIds: [kept.id] }) });
  expect(sent.status).toBe(201);
  await sent.body?.cancel();
  const blobs = server.adapters.blobs;
  // As a crash leaves them: an upload whose row never committed, and an upload left beside a media already stored.
  const strays = [`media/${randomUUID()}/original`, `media/${randomUUID()}/upload`, `media/${kept.id}/upload`];
  for (const key of strays) await blobs.put(key, Readable.from([Buffer.from('left behind by a crash')]), 22, 'application/octet-stream');
  await new Promise((resolve) => setTimeout(resolve, 500));
  // Several sweeps have run: too young to tell from a row about to commit, so kept.
  for (const key of strays) expect(await blobs.stat(key)).not.toBeNull();
  const deadline = Date.now() + STRAY_GRACE_MS + 8000;
  const present = async () => (await Promise.all(strays.map((key) => blobs.stat(key)))).filter(Boolean).length;
  while ((await present()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  const read = await fetchMedia(server.url, peer.accessToken, kept.url);
  expect([read.status, read.bytes.toString()]).toEqual([200, 'kept\n'.repeat(50)]);
  expect(await present()).toBe(0);
  expect(await blobs.stat(`media/${kept.id}/original`)).not.toBeNull();
}

describe('media cleanup of stray blobs in S3 (s3rver, PGlite)', () => {
  let server: TestServer;
  let s3: LocalS3;
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  beforeAll(async () => {
    s3 = await startLocalS3();
    server = await startTestServer({ env: s3.env, modules: [...MODULES.filter((module) => module.name !== 'media'), createMediaModule({ orphans: SWEEP })] });
    [alice, bob] = await Promise.all([registerUser(server), registerUser(server)]);
  });
  afterAll(async () => {
    await server?.stop();
    await s3?.close();
  });

  it('deletes blobs no row names once older than the grace period, and keeps the rest', async () => {
    await strayBlobsAreSwept(server, alice, bob);
  });
});

for (const engines of ENGINE_SETS) {
  describe(`media cleanup (${engines === 'real' ? 'PostgreSQL' : 'PGlite'})`, () => {
    let server: TestServer;
    let dataDir: string;
    let alice: RegisteredUser;
    let bob: RegisteredUser;

    const api = async <T>(account: RegisteredUser, method: string, path: string, body?: unknown) => {
      const headers = authHeaders(account.accessToken);
      if (body === undefined) delete headers['content-type'];
      const response = await fetch(`${server.url}/api/v1${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
    };
    const usage = async (userId: string) =>
      Number(
        (await server.adapters.db.kysely<{ 'media.usage': { user_id: string; bytes: number } }>().selectFrom('media.usage').select('bytes').where('user_id', '=', userId).executeTakeFirst())?.bytes ?? 0,
      );

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'kaif-media-cleanup-'));
      const media = createMediaModule({ orphans: SWEEP });
      server = await startTestServer({
        engines,
        env: { KAIF_DATA_DIR: dataDir },
        modules: [...MODULES.filter((module) => module.name !== 'media'), media],
      });
      [alice, bob] = await Promise.all([registerUser(server), registerUser(server)]);
    });
    afterAll(async () => {
      await server?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('deletes media never sent and media whose message was deleted, keeps what a message carries, and gives the bytes back', async () => {
      const file = (label: string) => Buffer.from(`${label}\n`.repeat(100));
      const [unsent, kept, unsentLater] = await Promise.all(
        ['never sent', 'kept', 'sent then deleted'].map(async (label) => (await upload(server.url, alice.accessToken, file(label), `${label}.txt`)).body as unknown as MediaView),
      );
      const chat = (await api<{ id: string }>(alice, 'POST', '/chats', { type: 'direct', memberIds: [bob.user.id] })).body;
      expect((await api(alice, 'POST', `/chats/${chat.id}/messages`, { clientMsgId: 'keep', mediaIds: [kept!.id] })).status).toBe(201);
      const doomed = (await api<MessageView>(alice, 'POST', `/chats/${chat.id}/messages`, { clientMsgId: 'drop', mediaIds: [unsentLater!.id] })).body;
      const charged = await usage(alice.user.id);
      expect(charged).toBe(unsent!.size + kept!.size + unsentLater!.size);
      expect((await api(alice, 'DELETE', `/chats/${chat.id}/messages/${doomed.id}`)).status).toBeLessThan(300);

      const gone = async (media: MediaView) => (await fetchMedia(server.url, alice.accessToken, media.url)).status === 404;
      const deadline = Date.now() + GRACE_MS + 8000;
      while (!((await gone(unsent!)) && (await gone(unsentLater!))) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await gone(unsent!)).toBe(true);
      expect(await gone(unsentLater!)).toBe(true);
      expect((await fetchMedia(server.url, bob.accessToken, kept!.url)).status).toBe(200);
      expect(await usage(alice.user.id)).toBe(kept!.size);
      const blobs = (await readdir(join(dataDir, 'blobs'), { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
      expect(blobs.map((entry) => join(entry.parentPath, entry.name))).toEqual([join(dataDir, 'blobs', 'media', kept!.id, 'original')]);
    });

    it('deletes blobs on disk no row names once older than the grace period, and keeps the rest', async () => {
      await strayBlobsAreSwept(server, alice, bob);
    });
  });
}
