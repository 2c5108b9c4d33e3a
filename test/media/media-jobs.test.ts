import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaJobs } from '../../packages/server/src/modules/media/media-jobs.js';
import type { MediaTables } from '../../packages/server/src/modules/media/media-tables.js';
import { ENGINE_SETS } from '../messaging/chat-client.js';
import { type TestServer, startTestServer } from '../support/test-server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const engines of ENGINE_SETS) {
  describe(`media job queue (${engines === 'real' ? 'PostgreSQL' : 'PGlite'})`, () => {
    let server: TestServer;
    let queue: MediaJobs;

    /** A media row to hang a job on, and the job, committed together. */
    const queued = async () => {
      const id = randomUUID();
      const db = server.adapters.db.kysely<MediaTables>();
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('media.media')
          .values({ id, owner_id: 'u', kind: 'video', mime: 'video/mp4', size: 1, name: 'v.mp4', width: null, height: null, duration_ms: 1000, sha256: 'x', blob_key: `media/${id}/original`, thumbnail_key: null, placeholder: null, created_at: new Date(), checked_at: null, charged_bytes: 1, waveform: null, status: 'processing' })
          .execute();
        await queue.enqueue(trx, id);
      });
      return id;
    };

    beforeAll(async () => {
      // No worker role: the test is the only one taking jobs.
      server = await startTestServer({ engines, roles: ['api'] });
      queue = new MediaJobs(server.adapters.db.kysely<MediaTables>());
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('hands a job to one worker at a time, and again once a dead worker’s lease runs out', async () => {
      const id = await queued();
      // A fresh MediaJobs stands for a restarted worker: everything it knows comes from the table.
      const first = await queue.claim(300);
      expect(first).toEqual({ mediaId: id, attempt: 1 });
      expect(await new MediaJobs(server.adapters.db.kysely<MediaTables>()).claim(300)).toBeNull();
      await sleep(400);
      const restarted = new MediaJobs(server.adapters.db.kysely<MediaTables>());
      expect(await restarted.claim(300)).toEqual({ mediaId: id, attempt: 2 });
      await restarted.complete(id);
      await sleep(400);
      expect(await restarted.claim(300)).toBeNull();
    });

    it('retries a failed job later, and drops it after the last attempt', async () => {
      const id = await queued();
      for (let attempt = 1; attempt <= 3; attempt++) {
        const job = await queue.claim(60_000);
        expect(job).toEqual({ mediaId: id, attempt });
        expect(await queue.claim(60_000)).toBeNull();
        expect(await queue.failed(id, attempt, 50)).toBe(attempt < 3);
        await sleep(80);
      }
      expect(await queue.claim(60_000)).toBeNull();
    });
  });
}
