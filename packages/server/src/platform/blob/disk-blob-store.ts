import { randomUUID } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, opendir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type BlobEntry, type BlobStore, type ByteRange, assertBlobKey, assertBlobPrefix } from './blob-store.js';

/**
 * Blobs as files under `root` (the embedded default: `KAIF_DATA_DIR/blobs`).
 * Single-node only: other nodes cannot read these files. Directories are made
 * on first write, so a store that is never written leaves no trace.
 */
export function createDiskBlobStore(root: string): BlobStore {
  const pathOf = (key: string) => {
    assertBlobKey(key);
    return join(root, key);
  };
  const missing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';
  return {
    kind: 'disk',
    name: 'blobs',
    essential: false,
    async check() {
      // Reads only: a store nothing was written to yet has no directory, and is fine.
      await access(root, constants.W_OK).catch((error: unknown) => {
        if (!missing(error)) throw error;
      });
      return { status: 'up', detail: 'disk' };
    },
    async put(key, body, size) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      const partial = join(dirname(path), `.partial-${randomUUID()}`);
      try {
        await pipeline(body, createWriteStream(partial, { flags: 'wx' }));
        const written = (await stat(partial)).size;
        if (written !== size) throw new Error(`blob ${key}: expected ${size} bytes, got ${written}`);
        await rename(partial, path);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
    },
    async get(key, range?: ByteRange): Promise<Readable | null> {
      const path = pathOf(key);
      try {
        await stat(path);
      } catch (error) {
        if (missing(error)) return null;
        throw error;
      }
      return createReadStream(path, range ? { start: range.start, end: range.end } : {});
    },
    async stat(key) {
      try {
        return { size: (await stat(pathOf(key))).size };
      } catch (error) {
        if (missing(error)) return null;
        throw error;
      }
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    async *list(prefix) {
      assertBlobPrefix(prefix);
      // From the deepest directory the prefix names whole; the rest of it filters the keys found.
      const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      yield* walk(root, base, prefix);
    },
    async close() {},
  };
}

/** Files under `root/dir`, depth first, one directory open at a time; partial writes (`.partial-*`) are not objects. */
async function* walk(root: string, dir: string, prefix: string): AsyncGenerator<BlobEntry> {
  let entries: Awaited<ReturnType<typeof opendir>>;
  try {
    entries = await opendir(join(root, dir));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
    throw error;
  }
  for await (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const key = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      // Only into directories that can hold a key with the prefix.
      if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* walk(root, key, prefix);
    } else if (entry.isFile() && key.startsWith(prefix)) {
      const info = await stat(join(root, key)).catch(() => null);
      // Deleted since the directory was read: gone, not listed.
      if (info) yield { key, size: info.size, modifiedAt: info.mtime };
    }
  }
}
