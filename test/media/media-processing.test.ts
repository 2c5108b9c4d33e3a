import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { MediaView, MessageView } from '@kaif/protocol';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { MediaJobs } from '../../packages/server/src/modules/media/media-jobs.js';
import { createMediaModule } from '../../packages/server/src/modules/media/media-module.js';
import type { MediaTables } from '../../packages/server/src/modules/media/media-tables.js';
import type { RoleName } from '../../packages/server/src/roles.js';
import { type RunningServer, startServer } from '../../packages/server/src/server.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { type RegisteredUser, authHeaders, registerUser } from '../support/accounts.js';
import { ENGINE_URLS, type ScratchDatabase, createScratchDatabase, engineAvailable, scratchPrefix } from '../support/engines.js';
import { type TestServer, startTestServer, testConfig } from '../support/test-server.js';
import { fetchMedia, photoWithExif, recorded, upload } from './media-fixtures.js';

/** What a worker that died holds a job for: past it, another worker takes the job over. */
const DEAD_WORKER_LEASE_MS = 1500;
const GPS = Buffer.from('55.7558N');

/**
 * Photos are processed in the worker role, not in the upload request. Two
 * nodes share one PostgreSQL database (and Redis and NATS) and one blob directory: an API node
 * alone (so nothing is processed until a worker exists), then a worker
 * node started later — as after a restart — which also takes over a job a
 * dead worker held.
 */
const CLUSTER = engineAvailable('postgres') && engineAvailable('redis') && engineAvailable('nats');

describe.skipIf(!CLUSTER)('media processing in the worker role (PostgreSQL, Redis, NATS: an API node and a later worker node)', () => {
  let scratch: ScratchDatabase;
  let dataDir: string;
  let apiNode: RunningServer;
  let workerNode: RunningServer | undefined;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  const prefix = scratchPrefix();

  const startNode = (roles: readonly RoleName[]) =>
    startServer({
      config: testConfig({
        DATABASE_URL: scratch.url,
        REDIS_URL: ENGINE_URLS.redis!,
        KAIF_REDIS_PREFIX: prefix,
        NATS_URL: ENGINE_URLS.nats!,
        KAIF_DATA_DIR: dataDir,
        KAIF_MEDIA_MAX_DURATION_SECONDS: '10',
      }),
      roles: new Set(roles),
      logger: createLogger('warn', new Writable({ write: (_chunk, _encoding, done) => done() })),
      modules: [...MODULES.filter((module) => module.name !== 'media'), createMediaModule({ worker: { pollMs: 100, retryMs: 200 } })],
      relay: { pollMs: 100 },
    });

  const info = async (token: string, media: MediaView) => {
    const answer = await fetchMedia(apiNode.url, token, `/api/v1/media/${media.id}/info`);
    return JSON.parse(answer.bytes.toString()) as MediaView;
  };
  const settled = async (token: string, media: MediaView) => {
    const deadline = Date.now() + 30_000;
    let now = await info(token, media);
    while (now.status === 'processing' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      now = await info(token, media);
    }
    return now;
  };
  const blobFiles = async () =>
    (await readdir(join(dataDir, 'blobs'), { recursive: true, withFileTypes: true }).catch(() => []))
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(join(dataDir, 'blobs').length + 1));

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'kaif-media-processing-'));
    apiNode = await startNode(['api']);
    [alice, bob] = await Promise.all([registerUser(apiNode), registerUser(apiNode)]);
  });
  afterAll(async () => {
    await workerNode?.stop();
    await apiNode?.stop();
    await scratch?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers the upload before processing, serves no byte of an uncleaned photo to anyone, and a worker started later — also taking over a dead worker’s job — makes it ready', async () => {
    const photo = await photoWithExif();
    const video = await recorded('video', 1);
    const answers = await Promise.all([
      upload(apiNode.url, alice.accessToken, photo, 'holiday.jpg', 'image/jpeg'),
      upload(apiNode.url, alice.accessToken, await photoWithExif(640, 480), 'second.jpg', 'image/jpeg'),
      // Undecodable, but only the decode finds out: the header is intact.
      upload(apiNode.url, alice.accessToken, photo.subarray(0, Math.floor(photo.length / 2)), 'half.jpg', 'image/jpeg'),
      upload(apiNode.url, alice.accessToken, video, 'clip.mp4', 'video/mp4'),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201, 201]);
    const [holiday, second, half, clip] = answers.map((answer) => answer.body as unknown as MediaView) as [MediaView, MediaView, MediaView, MediaView];
    // A photo whose job three workers took and died with (as a file that kills its decoder would): not tried a fourth time.
    const deadly = (await upload(apiNode.url, alice.accessToken, await photoWithExif(320, 240), 'deadly.jpg', 'image/jpeg')).body as unknown as MediaView;
    await apiNode.adapters.db.kysely<MediaTables>().updateTable('media.jobs').set({ attempts: 3 }).where('media_id', '=', deadly.id).execute();
    // No worker runs: the answer came before any processing. Its size comes from the header alone.
    expect(holiday).toMatchObject({ kind: 'image', mime: 'image/jpeg', width: 1200, height: 800, status: 'processing', thumbnailUrl: `/api/v1/media/${holiday.id}/thumbnail` });
    expect(holiday.placeholder).toBeUndefined();
    expect(clip).toMatchObject({ kind: 'video', status: 'processing' });

    // Sent at once, as a phone would: the peer sees the message, but no byte of the photo until it is clean.
    const chat = (await (await fetch(`${apiNode.url}/api/v1/chats`, { method: 'POST', headers: authHeaders(alice.accessToken), body: JSON.stringify({ type: 'direct', memberIds: [bob.user.id] }) })).json()) as { id: string };
    const sent = await fetch(`${apiNode.url}/api/v1/chats/${chat.id}/messages`, {
      method: 'POST',
      headers: authHeaders(alice.accessToken),
      body: JSON.stringify({ clientMsgId: 'early', text: 'look', mediaIds: [holiday.id, clip.id] }),
    });
    expect(sent.status).toBe(201);
    expect(((await sent.json()) as MessageView).media?.[0]).toMatchObject({ id: holiday.id, status: 'processing' });
    for (const token of [alice.accessToken, bob.accessToken]) {
      for (const path of [holiday.url, holiday.thumbnailUrl!]) {
        const early = await fetchMedia(apiNode.url, token, path);
        expect(early.status).toBe(202);
        expect(early.headers.get('retry-after')).toBe('1');
        expect(early.headers.get('cache-control')).toBe('no-store');
        expect(early.bytes.includes(GPS)).toBe(false);
        expect(JSON.parse(early.bytes.toString())).toMatchObject({ id: holiday.id, status: 'processing' });
      }
    }
    const link = (await (await fetch(`${apiNode.url}/api/v1/media/${holiday.id}/link`, { method: 'POST', headers: { authorization: `Bearer ${bob.accessToken}` } })).json()) as { url: string };
    const viaLink = await fetch(`${apiNode.url}${link.url}`);
    expect(viaLink.status).toBe(202);
    expect(Buffer.from(await viaLink.arrayBuffer()).includes(GPS)).toBe(false);
    // A video streams as uploaded at once; its poster is "not yet", not "gone".
    const streamed = await fetchMedia(apiNode.url, bob.accessToken, clip.url);
    expect(streamed.status).toBe(200);
    expect(streamed.bytes).toEqual(video);
    const poster = await fetchMedia(apiNode.url, bob.accessToken, clip.thumbnailUrl!);
    expect(poster.status).toBe(202);
    expect(poster.headers.get('retry-after')).toBe('1');
    expect(JSON.parse(poster.bytes.toString())).toMatchObject({ id: clip.id, status: 'processing' });

    // A worker took one job and died with it (nothing completes it): its lease must run out for another to take it.
    const held = await new MediaJobs(apiNode.adapters.db.kysely<MediaTables>()).claim(DEAD_WORKER_LEASE_MS);
    expect([holiday.id, second.id, half.id, clip.id, deadly.id]).toContain(held?.mediaId);

    workerNode = await startNode(['worker']);
    const [ready, readySecond, refused, readyClip] = await Promise.all([holiday, second, half, clip].map((media) => settled(alice.accessToken, media)));
    // Every job was done, the dead worker's too (once its lease ran out).
    expect(ready!.status).toBeUndefined();
    expect(readySecond!.status).toBeUndefined();
    expect(readyClip!.status).toBeUndefined();
    expect(refused!.status).toBe('rejected');
    expect((await settled(alice.accessToken, deadly)).status).toBe('rejected');

    expect(ready!.placeholder).toMatch(/^data:image\/webp;base64,/);
    const cleaned = await fetchMedia(apiNode.url, bob.accessToken, holiday.url);
    expect(cleaned.status).toBe(200);
    expect(cleaned.bytes.length).toBe(ready!.size);
    expect((await sharp(cleaned.bytes).metadata()).exif).toBeUndefined();
    expect(cleaned.bytes.includes(GPS)).toBe(false);
    const thumbnail = await fetchMedia(apiNode.url, bob.accessToken, holiday.thumbnailUrl!);
    expect(thumbnail.status).toBe(200);
    const thumb = await sharp(thumbnail.bytes).metadata();
    expect([thumb.format, Math.max(thumb.width!, thumb.height!)]).toEqual(['webp', 320]);
    expect((await fetchMedia(apiNode.url, bob.accessToken, clip.thumbnailUrl!)).status).toBe(200);

    // The undecodable photo: refused, its bytes deleted, and it cannot be sent.
    const gone = await fetchMedia(apiNode.url, alice.accessToken, half.url);
    expect([gone.status, JSON.parse(gone.bytes.toString()).error.code]).toEqual([422, 'MEDIA_REJECTED']);
    const refusedSend = await fetch(`${apiNode.url}/api/v1/chats/${chat.id}/messages`, { method: 'POST', headers: authHeaders(alice.accessToken), body: JSON.stringify({ clientMsgId: 'bad', mediaIds: [half.id] }) });
    expect(refusedSend.status).toBe(422);
    await refusedSend.body?.cancel();
    const files = await blobFiles();
    expect(files.filter((file) => file.includes(half.id))).toEqual([]);
    // No upload with its EXIF is left anywhere; each photo has its clean original and thumbnail.
    expect(files.filter((file) => file.endsWith('/upload'))).toEqual([]);
    expect(files.filter((file) => file.startsWith(`media/${holiday.id}/`)).sort()).toEqual([`media/${holiday.id}/original`, `media/${holiday.id}/thumbnail`]);
    // The quota counts what is stored now: the clean originals and thumbnails, nothing for the refused photo.
    const db = apiNode.adapters.db.kysely<MediaTables>();
    const usage = await db.selectFrom('media.usage').select('bytes').where('user_id', '=', alice.user.id).executeTakeFirstOrThrow();
    const rows = await db.selectFrom('media.media').select(['charged_bytes']).where('owner_id', '=', alice.user.id).execute();
    expect(Number(usage.bytes)).toBe(rows.reduce((sum, row) => sum + Number(row.charged_bytes), 0));
    expect(await db.selectFrom('media.jobs').selectAll().execute()).toEqual([]);
  });
});

/** Without a worker (the API role alone, embedded engines): the upload answers, and nothing of the photo is served until it is processed. */
describe('media processing without a worker (PGlite, the API role alone)', () => {
  let server: TestServer;
  let dataDir: string;
  let alice: RegisteredUser;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kaif-media-api-only-'));
    server = await startTestServer({ roles: ['api'], env: { KAIF_DATA_DIR: dataDir } });
    alice = await registerUser(server);
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers the upload with status processing, and its reads with 202 and no byte of the photo', async () => {
    const answer = await upload(server.url, alice.accessToken, await photoWithExif(), 'pending.jpg', 'image/jpeg');
    expect(answer.status).toBe(201);
    const media = answer.body as unknown as MediaView;
    expect(media).toMatchObject({ kind: 'image', width: 1200, height: 800, status: 'processing' });
    for (const path of [media.url, media.thumbnailUrl!]) {
      const read = await fetchMedia(server.url, alice.accessToken, path, { range: 'bytes=0-99' });
      expect(read.status).toBe(202);
      expect(read.headers.get('retry-after')).toBe('1');
      expect(read.bytes.includes(GPS)).toBe(false);
      expect(read.bytes.includes(Buffer.from([0xff, 0xd8]))).toBe(false);
    }
    const info = await fetchMedia(server.url, alice.accessToken, `/api/v1/media/${media.id}/info`);
    expect(JSON.parse(info.bytes.toString())).toEqual(media);
    // The upload is kept, under a key no read serves, for a worker to clean.
    const files = (await readdir(join(dataDir, 'blobs'), { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name);
    expect(files).toEqual(['upload']);
  });
});
