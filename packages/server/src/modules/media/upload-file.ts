import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Bytes of an upload on local disk while they are checked and processed; removed afterwards whatever happens. */
export interface UploadFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  remove(): Promise<void>;
}

/** A fresh scratch directory per upload, for the upload and what is made from it. */
export async function scratchDirectory(): Promise<{ readonly path: string; remove(): Promise<void> }> {
  const path = join(tmpdir(), 'kaif-media', randomUUID());
  await mkdir(path, { recursive: true });
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Streams an upload to `path`, hashing as it goes: never held whole in memory. */
export async function writeUpload(body: Readable, path: string): Promise<{ readonly size: number; readonly sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(
    body,
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    }),
    createWriteStream(path, { flags: 'wx' }),
  );
  return { size, sha256: hash.digest('hex') };
}

/** SHA-256 and size of a file on disk, read as a stream. */
export async function hashFile(path: string): Promise<{ readonly size: number; readonly sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

/**
 * A client's file name, kept only for display and downloads: its last path
 * segment, without control characters, at most 255 characters.
 */
export function cleanFileName(name: string | undefined): string {
  const last = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = last.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return clean === '' || clean === '.' || clean === '..' ? 'file' : clean;
}
