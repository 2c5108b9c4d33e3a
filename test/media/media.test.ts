import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MediaView, MessageView } from '@kaif/protocol';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatClient } from '../messaging/chat-client.js';
import { registerUser } from '../support/accounts.js';
import { engineAvailable } from '../support/engines.js';
import { syncedSocket } from '../realtime/realtime-fixtures.js';
import { rawAuthenticated } from '../wire/support/raw-tcp.js';
import { type LocalS3, startLocalS3 } from '../support/s3-server.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { fetchMedia, photoWithExif, pngBomb, recorded, settledMedia, upload, uploadSettled, zipArchive } from './media-fixtures.js';

const MAX_BYTES = 2 * 1024 * 1024;
const QUOTA_BYTES = 3 * 1024 * 1024;
const UPLOADS_PER_MINUTE = 20;
const MAX_DURATION_SECONDS = 3;

const VARIANTS = [
  { name: 'embedded database, blobs on disk', engines: 'embedded', blobs: 'disk' },
  { name: `${engineAvailable('postgres') ? 'PostgreSQL' : 'embedded database'}, blobs in S3 (s3rver)`, engines: engineAvailable('postgres') ? 'real' : 'embedded', blobs: 's3' },
] as const;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function filesUnder(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).length;
}

for (const variant of VARIANTS) {
  describe(`media: ${variant.name}`, () => {
    let server: TestServer;
    let s3: LocalS3 | undefined;
    let dataDir: string;
    let alice: ChatClient & { token: string };
    let bob: ChatClient & { token: string };
    let eve: ChatClient & { token: string };
    let photo: Buffer;
    let video: Buffer;
    let longVideo: Buffer;
    let voice: Buffer;

    const signedUp = async (): Promise<ChatClient & { token: string }> => {
      const account = await registerUser(server);
      const chat = await signUpWith(server.url, account.accessToken, account.user);
      return Object.assign(chat, { token: account.accessToken });
    };

    const storedRows = async () =>
      Number(
        (
          await server.adapters.db
            .kysely<{ 'media.media': { id: string } }>()
            .selectFrom('media.media')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'kaif-media-test-'));
      s3 = variant.blobs === 's3' ? await startLocalS3() : undefined;
      server = await startTestServer({
        engines: variant.engines,
        env: {
          KAIF_DATA_DIR: dataDir,
          KAIF_MEDIA_MAX_BYTES: String(MAX_BYTES),
          KAIF_MEDIA_QUOTA_BYTES: String(QUOTA_BYTES),
          KAIF_MEDIA_UPLOADS_PER_MINUTE: String(UPLOADS_PER_MINUTE),
          KAIF_MEDIA_MAX_DURATION_SECONDS: String(MAX_DURATION_SECONDS),
          ...(s3?.env ?? {}),
        },
      });
      [alice, bob, eve] = await Promise.all([signedUp(), signedUp(), signedUp()]);
      [photo, video, longVideo, voice] = await Promise.all([
        photoWithExif(),
        recorded('video', 1),
        recorded('video', MAX_DURATION_SECONDS + 1, '64x48'),
        recorded('audio', 1),
      ]);
    });

    afterAll(async () => {
      await server?.stop();
      await s3?.close();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('stores a photo cleaned of EXIF, with a WebP thumbnail and a blurred placeholder', async () => {
      expect((await sharp(photo).metadata()).exif).toBeDefined();
      const answer = await upload(server.url, alice.token, photo, 'holiday.jpg', 'image/jpeg');
      expect(answer.status).toBe(201);
      // The answer comes once the bytes are stored; the worker cleans the photo after.
      expect(answer.body).toMatchObject({ kind: 'image', status: 'processing' });
      const media = await settledMedia(server.url, alice.token, (answer.body as unknown as MediaView).id);
      expect(media).toMatchObject({ kind: 'image', mime: 'image/jpeg', name: 'holiday.jpg', width: 1200, height: 800, url: `/api/v1/media/${media.id}` });
      expect(media.status).toBeUndefined();
      expect(media.placeholder).toMatch(/^data:image\/webp;base64,/);
      const original = await fetchMedia(server.url, alice.token, media.url);
      expect(original.status).toBe(200);
      expect(original.headers.get('content-type')).toBe('image/jpeg');
      expect(original.bytes.length).toBe(media.size);
      const cleaned = await sharp(original.bytes).metadata();
      expect(cleaned.exif).toBeUndefined();
      expect(original.bytes.includes(Buffer.from('55.7558N'))).toBe(false);
      const thumbnail = await fetchMedia(server.url, alice.token, media.thumbnailUrl!);
      expect(thumbnail.status).toBe(200);
      expect(thumbnail.headers.get('content-type')).toBe('image/webp');
      const thumb = await sharp(thumbnail.bytes).metadata();
      expect(thumb.format).toBe('webp');
      expect(Math.max(thumb.width!, thumb.height!)).toBe(320);
    });

    it('serves byte ranges and a strong ETag', async () => {
      const media = await uploadSettled(server.url, alice.token, photo, 'ranged.jpg', 'image/jpeg');
      const whole = await fetchMedia(server.url, alice.token, media.url);
      const etag = whole.headers.get('etag')!;
      expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
      expect(etag).toBe(`"${sha256(whole.bytes)}"`);
      expect(whole.headers.get('cache-control')).toContain('private');
      expect(whole.headers.get('accept-ranges')).toBe('bytes');
      const part = await fetchMedia(server.url, alice.token, media.url, { range: 'bytes=100-1123' });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 100-1123/${media.size}`);
      expect(part.bytes).toEqual(whole.bytes.subarray(100, 1124));
      const tail = await fetchMedia(server.url, alice.token, media.url, { range: 'bytes=-10' });
      expect(tail.bytes).toEqual(whole.bytes.subarray(whole.bytes.length - 10));
      expect((await fetchMedia(server.url, alice.token, media.url, { range: `bytes=${media.size}-` })).status).toBe(416);
      expect((await fetchMedia(server.url, alice.token, media.url, { 'if-none-match': etag })).status).toBe(304);
      const stale = await fetchMedia(server.url, alice.token, media.url, { range: 'bytes=0-9', 'if-range': '"other"' });
      expect(stale.status).toBe(200);
    });

    it('sends media in a message: the peer gets it live and after catch-up, an outsider gets 404, a delete makes it unreachable', async () => {
      const media = await uploadSettled(server.url, alice.token, photo, 'for-bob.jpg', 'image/jpeg');
      // Before it is sent, only its uploader may read it.
      expect((await fetchMedia(server.url, bob.token, media.url)).status).toBe(404);
      const chat = await alice.createChat({ type: 'direct', memberIds: [bob.id] });
      const offline = await syncedSocket(server.url, bob.token);
      const since = offline.cursor;
      offline.socket.close();
      const live = await syncedSocket(server.url, bob.token);
      const sent = await alice.call<MessageView>('POST', `/chats/${chat.id}/messages`, { clientMsgId: 'photo-1', text: 'look', mediaIds: [media.id] });
      expect(sent.status).toBe(201);
      expect(sent.body.media).toEqual([media]);
      const event = await live.next('message.new');
      expect((event as unknown as { data: MessageView }).data.media).toEqual([media]);
      live.socket.close();
      const caughtUp = await syncedSocket(server.url, bob.token, since);
      const replayed = caughtUp.frames.find((frame) => frame.type === 'message.new') as unknown as { data: MessageView } | undefined;
      expect(replayed?.data.media).toEqual([media]);
      caughtUp.socket.close();
      const history = await bob.call<{ messages: MessageView[] }>('GET', `/chats/${chat.id}/messages`);
      expect(history.body.messages[0]?.media).toEqual([media]);
      const peerCopy = await fetchMedia(server.url, bob.token, media.url);
      expect(peerCopy.status).toBe(200);
      expect((await fetchMedia(server.url, bob.token, media.thumbnailUrl!)).status).toBe(200);

      for (const path of [media.url, media.thumbnailUrl!]) {
        const outsider = await fetchMedia(server.url, eve.token, path);
        expect(outsider.status).toBe(404);
        expect(JSON.parse(outsider.bytes.toString()).error.code).toBe('MEDIA_NOT_FOUND');
      }
      const unknown = await fetchMedia(server.url, eve.token, '/api/v1/media/00000000-0000-4000-8000-000000000000');
      expect(unknown.status).toBe(404);
      // An outsider cannot attach someone else's media to a message of their own either.
      const eveChat = await eve.createChat({ type: 'group', title: 'eve' });
      const theft = await eve.call('POST', `/chats/${eveChat.id}/messages`, { clientMsgId: 'steal', mediaIds: [media.id] });
      expect(theft.status).toBe(404);
      expect((theft.body as { error: { code: string } }).error.code).toBe('MEDIA_NOT_FOUND');

      expect((await alice.call('DELETE', `/chats/${chat.id}/messages/${sent.body.id}`)).status).toBeLessThan(300);
      expect((await fetchMedia(server.url, bob.token, media.url)).status).toBe(404);
      expect((await fetchMedia(server.url, bob.token, media.thumbnailUrl!)).status).toBe(404);
      const after = await bob.call<{ messages: MessageView[] }>('GET', `/chats/${chat.id}/messages`);
      expect(after.body.messages[0]?.media).toBeUndefined();
      const replayAfterDelete = await syncedSocket(server.url, bob.token, since);
      const tombstoned = replayAfterDelete.frames.find((frame) => frame.type === 'message.new') as unknown as { data: MessageView } | undefined;
      expect(tombstoned?.data.media).toBeUndefined();
      replayAfterDelete.socket.close();
    });

    it('takes mediaIds over WebSocket and media_ids over CosmicProto TCP, and both deliver media', async () => {
      const media = await uploadSettled(server.url, alice.token, photo, 'both.jpg', 'image/jpeg');
      const chat = await alice.createChat({ type: 'group', title: 'transports', memberIds: [bob.id] });
      const socket = await syncedSocket(server.url, alice.token);
      socket.send({ type: 'message.send', id: 'f1', chatId: chat.id, clientMsgId: 'ws-media', mediaIds: [media.id] });
      const ack = (await socket.next('ack')) as unknown as { message: MessageView };
      expect(ack.message.media).toEqual([media]);
      socket.send({ type: 'message.send', id: 'f2', chatId: chat.id, clientMsgId: 'ws-bare' });
      expect(((await socket.next('error')) as unknown as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
      socket.socket.close();
      const tcp = await rawAuthenticated(server.ports.tcp!, alice.token);
      tcp.write({ packet_type: 'SendMessage', message: { chat_id: chat.id, media_ids: [media.id], content: 'caption' }, client_msg_id: 'tcp-media' });
      const tcpAck = await tcp.nextMatching((packet) => packet.packet_type === 'Ack');
      expect(tcpAck).toMatchObject({ success: true });
      tcp.write({ packet_type: 'GetMessages', chat_id: chat.id, page: 1, per_page: 5 });
      const page = (await tcp.nextMatching((packet) => packet.packet_type === 'Messages')) as unknown as { messages: { content: string; media?: MediaView[] }[] };
      expect(page.messages[0]).toMatchObject({ content: 'caption', media: [media] });
      tcp.close();
      expect((await fetchMedia(server.url, bob.token, media.url)).status).toBe(200);
    });

    it('probes a video and a voice note, answers at once, and the worker makes the poster', async () => {
      const answer = await upload(server.url, alice.token, video, 'clip.mp4', 'video/mp4');
      expect(answer.status).toBe(201);
      const clip = answer.body as unknown as MediaView;
      expect(clip).toMatchObject({ kind: 'video', mime: 'video/mp4', width: 320, height: 240, thumbnailUrl: `/api/v1/media/${clip.id}/thumbnail` });
      expect(clip.durationMs).toBeGreaterThan(900);
      expect(clip.durationMs).toBeLessThan(1200);
      let poster = await fetchMedia(server.url, alice.token, clip.thumbnailUrl!);
      // Before the worker has drawn it the poster is "not yet" (202), never a 404 that reads as "gone".
      expect([200, 202]).toContain(poster.status);
      for (let tries = 0; poster.status !== 200 && tries < 100; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        poster = await fetchMedia(server.url, alice.token, clip.thumbnailUrl!);
      }
      expect(poster.status).toBe(200);
      expect((await sharp(poster.bytes).metadata()).format).toBe('webp');
      const streamed = await fetchMedia(server.url, alice.token, clip.url, { range: 'bytes=0-99' });
      expect(streamed.status).toBe(206);
      expect(streamed.bytes).toEqual(video.subarray(0, 100));

      const note = (await upload(server.url, alice.token, voice, 'voice.ogg', 'audio/ogg')).body as unknown as MediaView;
      expect(note).toMatchObject({ kind: 'audio', mime: expect.stringMatching(/^audio\/ogg/) });
      expect(note.durationMs).toBeGreaterThan(900);
      expect(note.thumbnailUrl).toBeUndefined();
      expect(note.waveform).toHaveLength(64);
      expect(Math.max(...note.waveform!)).toBe(31);
    });

    it('issues short-lived links that fetch without a token, with Range, and end with the reader’s access', async () => {
      const media = await uploadSettled(server.url, alice.token, photo, 'linked.jpg', 'image/jpeg');
      const chat = await alice.createChat({ type: 'group', title: 'links', memberIds: [bob.id] });
      const sent = await alice.call<MessageView>('POST', `/chats/${chat.id}/messages`, { clientMsgId: 'linked', mediaIds: [media.id] });
      const link = await bob.call<{ url: string; thumbnailUrl: string; expiresAt: string }>('POST', `/media/${media.id}/link`, {});
      expect(link.status).toBe(200);
      expect(new Date(link.body.expiresAt).getTime()).toBeGreaterThan(Date.now());
      const whole = await fetch(`${server.url}${link.body.url}`);
      expect(whole.status).toBe(200);
      const bytes = Buffer.from(await whole.arrayBuffer());
      expect(bytes.length).toBe(media.size);
      const part = await fetch(`${server.url}${link.body.url}`, { headers: { range: 'bytes=0-99' } });
      expect(part.status).toBe(206);
      expect(Buffer.from(await part.arrayBuffer())).toEqual(bytes.subarray(0, 100));
      expect((await fetch(`${server.url}${link.body.thumbnailUrl}`)).status).toBe(200);
      // A link names one media and one part; an altered one names nothing.
      const token = new URL(link.body.url, server.url).searchParams.get('token')!;
      expect((await fetch(`${server.url}/api/v1/media/${media.id}/thumbnail?token=${token}`)).status).toBe(404);
      expect((await fetch(`${server.url}/api/v1/media/${media.id}?token=${token.slice(0, -2)}xx`)).status).toBe(404);
      expect((await fetch(`${server.url}/api/v1/media/${media.id}`)).status).toBe(401);
      expect((await eve.call('POST', `/media/${media.id}/link`, {})).status).toBe(404);
      expect((await alice.call('DELETE', `/chats/${chat.id}/messages/${sent.body.id}`)).status).toBeLessThan(300);
      expect((await fetch(`${server.url}${link.body.url}`)).status).toBe(404);
    });

    it('sends a media-only message, and refuses a message with neither text nor media', async () => {
      const media = (await upload(server.url, bob.token, Buffer.from('just notes\n'), 'notes.txt', 'text/plain')).body as unknown as MediaView;
      expect(media).toMatchObject({ kind: 'file', name: 'notes.txt' });
      const chat = await bob.createChat({ type: 'group', title: 'files' });
      const sent = await bob.call<MessageView>('POST', `/chats/${chat.id}/messages`, { clientMsgId: 'file-1', mediaIds: [media.id] });
      expect(sent.status).toBe(201);
      expect(sent.body).toMatchObject({ text: '', media: [media] });
      const bare = await bob.call('POST', `/chats/${chat.id}/messages`, { clientMsgId: 'bare' });
      expect(bare.status).toBe(400);
      const download = await fetchMedia(server.url, bob.token, media.url);
      expect(download.headers.get('content-type')).toBe('application/octet-stream');
      expect(download.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''notes.txt");
    });

    it('refuses hostile uploads with their code and stores nothing', async () => {
      const rowsBefore = await storedRows();
      const filesBefore = await filesUnder(join(dataDir, 'blobs'));
      const cases: { what: string; bytes: Buffer; name: string; type: string; status: number; code: string }[] = [
        { what: 'a 50,000 × 50,000 PNG bomb', bytes: pngBomb(), name: 'bomb.png', type: 'image/png', status: 422, code: 'MEDIA_REJECTED' },
        { what: 'a text file named .jpg', bytes: Buffer.from('hello, I am text\n'.repeat(20)), name: 'cat.jpg', type: 'image/jpeg', status: 422, code: 'MEDIA_REJECTED' },
        { what: 'a text file named .jpg, declared as bytes', bytes: Buffer.from('hello\n'), name: 'cat.jpg', type: 'application/octet-stream', status: 422, code: 'MEDIA_REJECTED' },
        { what: 'a zip declared as video', bytes: zipArchive(), name: 'movie.mp4', type: 'video/mp4', status: 422, code: 'MEDIA_REJECTED' },
        { what: 'an upload past KAIF_MEDIA_MAX_BYTES', bytes: Buffer.alloc(MAX_BYTES + 1, 1), name: 'big.bin', type: 'application/octet-stream', status: 413, code: 'PAYLOAD_TOO_LARGE' },
        { what: 'a video past the duration limit', bytes: longVideo, name: 'long.mp4', type: 'video/mp4', status: 422, code: 'MEDIA_REJECTED' },
        { what: 'an MP4 cut short', bytes: video.subarray(0, 400), name: 'cut.mp4', type: 'video/mp4', status: 422, code: 'MEDIA_REJECTED' },
        { what: 'an empty file', bytes: Buffer.alloc(0), name: 'empty.bin', type: 'application/octet-stream', status: 422, code: 'MEDIA_REJECTED' },
        { what: 'a polyglot: a JPEG that is also a web page', bytes: Buffer.concat([photo, Buffer.from('<html><script>alert(document.cookie)</script></html>')]), name: 'poly.jpg', type: 'image/jpeg', status: 422, code: 'MEDIA_REJECTED' },
        { what: 'a polyglot: a JPEG that is also a zip', bytes: Buffer.concat([photo, zipArchive()]), name: 'poly.jpg', type: 'image/jpeg', status: 422, code: 'MEDIA_REJECTED' },
      ];
      for (const hostile of cases) {
        const answer = await upload(server.url, eve.token, hostile.bytes, hostile.name, hostile.type);
        expect({ what: hostile.what, status: answer.status, code: answer.body.error?.code }).toEqual({ what: hostile.what, status: hostile.status, code: hostile.code });
      }
      expect(await storedRows()).toBe(rowsBefore);
      expect(await filesUnder(join(dataDir, 'blobs'))).toBe(filesBefore);
    });

    it('rejects a truncated JPEG in the worker: the record says so, reads answer 422 and its bytes are gone', async () => {
      // Its header is intact, so the upload request takes it; only the decode, in the worker, finds the end missing.
      const answer = await upload(server.url, eve.token, photo.subarray(0, Math.floor(photo.length / 2)), 'half.jpg', 'image/jpeg');
      expect(answer.status).toBe(201);
      const media = await settledMedia(server.url, eve.token, (answer.body as unknown as MediaView).id);
      expect(media.status).toBe('rejected');
      for (const path of [media.url, `/api/v1/media/${media.id}/thumbnail`]) {
        const read = await fetchMedia(server.url, eve.token, path);
        expect([read.status, JSON.parse(read.bytes.toString()).error.code]).toEqual([422, 'MEDIA_REJECTED']);
      }
      if (variant.blobs === 'disk') expect(await filesUnder(join(dataDir, 'blobs', 'media', media.id))).toBe(0);
    });

    it('forwards media with the message: a member of the target chat who is not in the source chat reads it', async () => {
      const carol = await signedUp();
      const media = await uploadSettled(server.url, alice.token, photo, 'forward-me.jpg', 'image/jpeg');
      const source = await alice.createChat({ type: 'direct', memberIds: [bob.id] });
      const sent = await alice.call<MessageView>('POST', `/chats/${source.id}/messages`, { clientMsgId: 'to-forward', text: 'pass it on', mediaIds: [media.id] });
      const target = await bob.createChat({ type: 'direct', memberIds: [carol.id] });
      for (const path of [media.url, media.thumbnailUrl!]) expect((await fetchMedia(server.url, carol.token, path)).status).toBe(404);
      const forwarded = await bob.call<MessageView>('POST', `/chats/${source.id}/messages/${sent.body.id}/forward`, { toChatId: target.id, clientMsgId: 'fwd-1' });
      expect(forwarded.status).toBe(201);
      expect(forwarded.body).toMatchObject({ text: 'pass it on', media: [media] });
      const seen = await carol.call<{ messages: MessageView[] }>('GET', `/chats/${target.id}/messages`);
      expect(seen.body.messages[0]?.media).toEqual([media]);
      const copy = await fetchMedia(server.url, carol.token, media.url);
      expect(copy.status).toBe(200);
      expect(copy.bytes.length).toBe(media.size);
      const thumbnail = await fetchMedia(server.url, carol.token, media.thumbnailUrl!);
      expect(thumbnail.status).toBe(200);
      expect(thumbnail.headers.get('content-type')).toBe('image/webp');
      // Deleting the forward ends carol's access; the source chat keeps bob's.
      expect((await bob.call('DELETE', `/chats/${target.id}/messages/${forwarded.body.id}`)).status).toBeLessThan(300);
      expect((await fetchMedia(server.url, carol.token, media.url)).status).toBe(404);
      expect((await fetchMedia(server.url, bob.token, media.url)).status).toBe(200);
    });

    it('refuses an over-size body from its Content-Length before reading it', async () => {
      const response = await fetch(`${server.url}/api/v1/media`, {
        method: 'POST',
        headers: { authorization: `Bearer ${eve.token}`, 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(MAX_BYTES * 4) },
        body: Buffer.alloc(10),
      }).catch(() => null);
      // The server answers from the headers; a client still sending may see the connection close instead.
      if (response) expect(response.status).toBe(413);
    });

    it('holds each user to a quota and an upload budget', async () => {
      const carol = await signedUp();
      const big = Buffer.alloc(MAX_BYTES - 1024, 7);
      expect((await upload(server.url, carol.token, big, 'a.bin')).status).toBe(201);
      const over = await upload(server.url, carol.token, big, 'b.bin');
      expect(over.status).toBe(403);
      expect(over.body.error?.code).toBe('MEDIA_QUOTA_EXCEEDED');
      let flood: Awaited<ReturnType<typeof upload>> | undefined;
      for (let i = 0; i < UPLOADS_PER_MINUTE; i++) {
        const answer = await upload(server.url, carol.token, Buffer.from(`note ${i}`), `n${i}.txt`);
        if (answer.status === 429) {
          flood = answer;
          break;
        }
      }
      expect(flood?.body.error?.code).toBe('FLOOD_WAIT');
    });
  });
}

async function signUpWith(baseUrl: string, token: string, user: ChatClient['user']): Promise<ChatClient> {
  const call: ChatClient['call'] = async (method, path, body) => {
    const response = await fetch(`${baseUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
  return {
    user,
    id: user.id,
    call,
    async createChat(input) {
      return (await call('POST', '/chats', input)).body as never;
    },
    async send(chatId, text, clientMsgId = `c-${Math.random()}`) {
      return (await call('POST', `/chats/${chatId}/messages`, { clientMsgId, text })).body as never;
    },
  };
}
