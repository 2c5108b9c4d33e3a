import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedFormat } from './polyglot.js';

/** An empty zip: only its end-of-central-directory record, with a comment. */
const zipEnd = (comment: string): Buffer => {
  const record = Buffer.alloc(22);
  record.writeUInt32LE(0x06054b50, 0);
  record.writeUInt16LE(comment.length, 20);
  return Buffer.concat([record, Buffer.from(comment)]);
};

describe('telling a polyglot from honest media bytes', () => {
  let dir: string;
  const file = async (bytes: Buffer): Promise<string> => {
    const path = join(dir, randomBytes(6).toString('hex'));
    await writeFile(path, bytes);
    return path;
  };
  // Stands in for compressed image data: random bytes with no marker in them.
  const body = Buffer.from(randomBytes(200_000).map((byte) => (byte === 0x3c ? 0x3d : byte)));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kaif-polyglot-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds nothing in bytes that are only what they are', async () => {
    expect(await embeddedFormat(await file(body))).toBeNull();
  });

  it('finds markup anywhere, in any case, also across a read boundary', async () => {
    expect(await embeddedFormat(await file(Buffer.concat([body, Buffer.from('<HTML><body>hi')])))).toBe('markup (<html)');
    const split = Buffer.concat([body.subarray(0, 65_536 - 3), Buffer.from('<script>'), body.subarray(0, 1000)]);
    expect(await embeddedFormat(await file(split))).toBe('markup (<script)');
  });

  it('finds a PDF header in the first kilobyte, and only there', async () => {
    expect(await embeddedFormat(await file(Buffer.concat([body.subarray(0, 500), Buffer.from('%PDF-1.7'), body])))).toBe('a PDF');
    expect(await embeddedFormat(await file(Buffer.concat([body, Buffer.from('%PDF-1.7'), body.subarray(0, 10)])))).toBeNull();
  });

  it('finds a zip whose end record closes the file, not four bytes that happen to look like one', async () => {
    expect(await embeddedFormat(await file(Buffer.concat([body, zipEnd('')])))).toBe('a zip archive');
    expect(await embeddedFormat(await file(Buffer.concat([body, zipEnd('a comment')])))).toBe('a zip archive');
    expect(await embeddedFormat(await file(Buffer.concat([body, zipEnd(''), body.subarray(0, 100)])))).toBeNull();
  });
});
