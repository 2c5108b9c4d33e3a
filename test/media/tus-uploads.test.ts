import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MediaView } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { fetchMedia } from './media-fixtures.js';

const TUS = { 'tus-resumable': '1.0.0' };
const b64 = (text: string) => Buffer.from(text).toString('base64');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * A PATCH that promises all of `bytes` but sends only `sent` of them, then
 * drops the connection: what a phone going through a tunnel does.
 */
function interruptedPatch(url: string, token: string, offset: number, bytes: Buffer, sent: number): Promise<void> {
  return new Promise((resolve) => {
    const request = httpRequest(url, {
      method: 'PATCH',
      headers: {
        ...TUS,
        authorization: `Bearer ${token}`,
        'content-type': 'application/offset+octet-stream',
        'upload-offset': String(offset),
        'content-length': String(bytes.length),
      },
    });
    request.on('error', () => resolve());
    request.on('response', () => resolve());
    request.write(bytes.subarray(0, sent), () => {
      // Let the server take in what was written, then cut the line.
      setTimeout(() => {
        request.destroy();
        resolve();
      }, 300);
    });
  });
}

describe('resumable uploads (tus 1.0)', () => {
  let server: TestServer;
  let dataDir: string;
  let alice: RegisteredUser;
  let mallory: RegisteredUser;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kaif-tus-test-'));
    // A dropped upload may leave a socket the server would otherwise wait out at shutdown.
    server = await startTestServer({ env: { KAIF_DATA_DIR: dataDir, KAIF_MEDIA_MAX_BYTES: String(4 * 1024 * 1024), KAIF_SHUTDOWN_TIMEOUT_MS: '1000' } });
    [alice, mallory] = await Promise.all([registerUser(server), registerUser(server)]);
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const create = async (token: string, length: number, name: string) => {
    const response = await fetch(`${server.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { ...TUS, authorization: `Bearer ${token}`, 'upload-length': String(length), 'upload-metadata': `filename ${b64(name)},filetype ${b64('application/octet-stream')}` },
    });
    return { status: response.status, location: response.headers.get('location') };
  };

  const offsetOf = async (url: string, token: string) => {
    const response = await fetch(url, { method: 'HEAD', headers: { ...TUS, authorization: `Bearer ${token}` } });
    return { status: response.status, offset: Number(response.headers.get('upload-offset')) };
  };

  it('resumes an upload interrupted halfway and ends in a media with identical bytes', async () => {
    const bytes = randomBytes(3 * 1024 * 1024);
    const created = await create(alice.accessToken, bytes.length, 'backup.bin');
    expect(created.status).toBe(201);
    const url = new URL(created.location!, server.url).toString();
    await interruptedPatch(url, alice.accessToken, 0, bytes, bytes.length / 2);
    const stopped = await offsetOf(url, alice.accessToken);
    expect(stopped.status).toBe(200);
    expect(stopped.offset).toBeGreaterThan(0);
    expect(stopped.offset).toBeLessThanOrEqual(bytes.length / 2);
    const finished = await fetch(url, {
      method: 'PATCH',
      headers: { ...TUS, authorization: `Bearer ${alice.accessToken}`, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(stopped.offset) },
      body: bytes.subarray(stopped.offset),
    });
    expect(finished.status).toBe(200);
    const media = (await finished.json()) as MediaView;
    expect(media).toMatchObject({ kind: 'file', name: 'backup.bin', size: bytes.length });
    const stored = await fetchMedia(server.url, alice.accessToken, media.url);
    expect(sha256(stored.bytes)).toBe(sha256(bytes));
  });

  it('keeps an upload to its owner, and refuses one past the size limit', async () => {
    const created = await create(alice.accessToken, 1000, 'mine.bin');
    const url = new URL(created.location!, server.url).toString();
    expect((await offsetOf(url, mallory.accessToken)).status).toBe(404);
    const hijack = await fetch(url, {
      method: 'PATCH',
      headers: { ...TUS, authorization: `Bearer ${mallory.accessToken}`, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
      body: Buffer.alloc(1000),
    });
    expect(hijack.status).toBe(404);
    expect((await offsetOf(url, alice.accessToken)).offset).toBe(0);
    expect((await create(alice.accessToken, 5 * 1024 * 1024, 'huge.bin')).status).toBe(413);
    const anonymous = await fetch(`${server.url}/api/v1/uploads`, { method: 'POST', headers: { ...TUS, 'upload-length': '10' } });
    expect(anonymous.status).toBe(401);
  });

  it('ends a hostile upload in its error, storing nothing', async () => {
    const text = Buffer.from('this is not a picture\n');
    const response = await fetch(`${server.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { ...TUS, authorization: `Bearer ${alice.accessToken}`, 'upload-length': String(text.length), 'upload-metadata': `filename ${b64('cat.jpg')},filetype ${b64('image/jpeg')}` },
    });
    const url = new URL(response.headers.get('location')!, server.url).toString();
    const finished = await fetch(url, {
      method: 'PATCH',
      headers: { ...TUS, authorization: `Bearer ${alice.accessToken}`, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
      body: text,
    });
    expect(finished.status).toBe(422);
    expect(((await finished.json()) as { error: { code: string } }).error.code).toBe('MEDIA_REJECTED');
  });
});
