import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MediaView, MessageView } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { createMediaModule } from '../../packages/server/src/modules/media/media-module.js';
import { ENGINE_SETS } from '../messaging/chat-client.js';
import { type RegisteredUser, authHeaders, registerUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { fetchMedia, upload } from './media-fixtures.js';

const GRACE_MS = 1500;

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
      const media = createMediaModule({ orphans: { graceMs: GRACE_MS, recheckMs: 200, everyMs: 200 } });
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
  });
}
