import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterDeps } from '../../../../../test/support/adapter-fixtures.js';
import { type LocalS3, startLocalS3 } from '../../../../../test/support/s3-server.js';
import type { BlobStore } from './blob-store.js';
import { createDiskBlobStore } from './disk-blob-store.js';
import { openS3BlobStore } from './s3-blob-store.js';

const collect = async (stream: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** A stream of `size` pseudo-random bytes made chunk by chunk, so the test itself never holds them whole. */
function generated(size: number, seed: number): { stream: Readable; sha256: Promise<string> } {
  const hash = createHash('sha256');
  let sent = 0;
  let state = seed;
  const stream = new Readable({
    read() {
      if (sent >= size) return this.push(null);
      const chunk = Buffer.alloc(Math.min(64 * 1024, size - sent));
      for (let i = 0; i < chunk.length; i += 4) {
        state = (state * 1103515245 + 12345) >>> 0;
        chunk.writeUInt32LE(state, i);
      }
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, sha256: new Promise((resolve) => stream.on('end', () => resolve(hash.digest('hex')))) };
}

let s3: LocalS3;
let diskRoot: string;

const IMPLEMENTATIONS: { name: string; open: () => Promise<BlobStore> }[] = [
  { name: 'disk', open: async () => createDiskBlobStore(diskRoot) },
  {
    name: 's3',
    open: () =>
      openS3BlobStore({ url: s3.url, bucket: `contract-${randomBytes(3).toString('hex')}`, region: 'us-east-1', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, ...adapterDeps('s3') }),
  },
];

beforeAll(async () => {
  s3 = await startLocalS3();
  diskRoot = await mkdtemp(join(tmpdir(), 'kaif-blobs-'));
});
afterAll(async () => {
  await s3.close();
  await rm(diskRoot, { recursive: true, force: true });
});

for (const implementation of IMPLEMENTATIONS) {
  describe(`blob store contract: ${implementation.name}`, () => {
    let blobs: BlobStore;
    beforeAll(async () => {
      blobs = await implementation.open();
    });
    afterAll(async () => {
      await blobs.close();
    });

    it('reads back what it stored, and says so when a key is missing', async () => {
      const bytes = randomBytes(1000);
      await blobs.put('a/one', Readable.from([bytes]), bytes.length, 'application/octet-stream');
      expect(await collect((await blobs.get('a/one'))!)).toEqual(bytes);
      expect(await blobs.stat('a/one')).toEqual({ size: 1000 });
      expect(await blobs.get('a/missing')).toBeNull();
      expect(await blobs.stat('a/missing')).toBeNull();
      expect((await blobs.check()).status).toBe('up');
    });

    it('streams an 8 MB object in and out with identical bytes', async () => {
      const size = 8 * 1024 * 1024;
      const source = generated(size, 7);
      await blobs.put('big/object', source.stream, size, 'video/mp4');
      const hash = createHash('sha256');
      let length = 0;
      for await (const chunk of (await blobs.get('big/object'))!) {
        hash.update(chunk as Buffer);
        length += (chunk as Buffer).length;
      }
      expect(length).toBe(size);
      expect(hash.digest('hex')).toBe(await source.sha256);
    });

    it('returns exactly the bytes of an inclusive range', async () => {
      const bytes = randomBytes(5000);
      await blobs.put('ranged', Readable.from([bytes]), bytes.length, 'application/octet-stream');
      expect(await collect((await blobs.get('ranged', { start: 100, end: 199 }))!)).toEqual(bytes.subarray(100, 200));
      expect(await collect((await blobs.get('ranged', { start: 4990, end: 4999 }))!)).toEqual(bytes.subarray(4990));
    });

    it('replaces an object whole and deletes it idempotently', async () => {
      await blobs.put('swap', Readable.from([Buffer.from('first')]), 5, 'text/plain');
      await blobs.put('swap', Readable.from([Buffer.from('second')]), 6, 'text/plain');
      expect((await collect((await blobs.get('swap'))!)).toString()).toBe('second');
      await blobs.delete('swap');
      await blobs.delete('swap');
      expect(await blobs.get('swap')).toBeNull();
    });

    it('stores nothing when the body fails midway', async () => {
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(1024));
          this.destroy(new Error('client went away'));
        },
      });
      await expect(blobs.put('broken', failing, 10_000, 'application/octet-stream')).rejects.toThrow();
      expect(await blobs.stat('broken')).toBeNull();
    });

    it('lists the objects under a prefix with their size and when they were written, page after page', async () => {
      const before = Date.now() - 5000;
      const keys = ['listed/a', 'listed/b/c', 'listed/b/d', 'listedness/not-under-the-directory', 'unlisted/e'];
      for (const key of keys) await blobs.put(key, Readable.from([Buffer.from(key)]), key.length, 'text/plain');
      const under = async (prefix: string) => {
        const found: { key: string; size: number }[] = [];
        for await (const entry of blobs.list(prefix)) {
          expect(entry.modifiedAt.getTime()).toBeGreaterThan(before);
          expect(entry.modifiedAt.getTime()).toBeLessThan(Date.now() + 5000);
          found.push({ key: entry.key, size: entry.size });
        }
        return found.sort((a, b) => a.key.localeCompare(b.key));
      };
      expect(await under('listed/')).toEqual(['listed/a', 'listed/b/c', 'listed/b/d'].map((key) => ({ key, size: key.length })));
      expect((await under('listed/b')).map((entry) => entry.key)).toEqual(['listed/b/c', 'listed/b/d']);
      expect((await under('listed')).map((entry) => entry.key)).toEqual(['listed/a', 'listed/b/c', 'listed/b/d', 'listedness/not-under-the-directory']);
      expect(await under('nothing-here/')).toEqual([]);
      await blobs.delete('listed/a');
      expect((await under('listed/')).map((entry) => entry.key)).toEqual(['listed/b/c', 'listed/b/d']);
      // A failed write is no object, so it is not listed either.
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(10));
          this.destroy(new Error('client went away'));
        },
      });
      await expect(blobs.put('listed/broken', failing, 100, 'text/plain')).rejects.toThrow();
      expect((await under('listed/')).map((entry) => entry.key)).toEqual(['listed/b/c', 'listed/b/d']);
    });

    it('refuses keys that could escape its root', async () => {
      for (const key of ['../etc/passwd', 'a/../../b', '/abs', 'UPPER', 'a//b']) {
        await expect(blobs.put(key, Readable.from([Buffer.from('x')]), 1, 'text/plain')).rejects.toThrow(/invalid blob key/);
      }
    });
  });
}

describe('S3 blob store', () => {
  it('lists page after page (ListObjects, each page after the last key)', async () => {
    const blobs = await openS3BlobStore({
      url: s3.url,
      bucket: `paged-${randomBytes(3).toString('hex')}`,
      region: 'us-east-1',
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      listPageSize: 3,
      ...adapterDeps('s3'),
    });
    const keys = Array.from({ length: 10 }, (_, i) => `paged/${String(i).padStart(2, '0')}`);
    for (const key of keys) await blobs.put(key, Readable.from([Buffer.from('x')]), 1, 'text/plain');
    const seen: string[] = [];
    for await (const entry of blobs.list('paged/')) seen.push(entry.key);
    expect(seen.sort()).toEqual(keys);
    await blobs.close();
  });
});

describe('disk blob store', () => {
  it('leaves no partial file behind after a failed write', async () => {
    const root = await mkdtemp(join(tmpdir(), 'kaif-blobs-partial-'));
    const blobs = createDiskBlobStore(root);
    await expect(blobs.put('x/y', Readable.from([Buffer.from('short')]), 99, 'text/plain')).rejects.toThrow(/expected 99 bytes/);
    expect(await readdir(join(root, 'x'))).toEqual([]);
    await rm(root, { recursive: true, force: true });
  });
});
