import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { KaifError } from '../../platform/http/kaif-error.js';

/**
 * Markers by which a browser, a PDF reader or an interpreter would take the
 * same bytes for something else: markup and script anywhere (browsers sniff
 * a whole response), a PDF header in the first kilobyte (where readers look
 * for it). Lower case: the scan folds case.
 */
const MARKUP = ['<script', '<html', '<svg', '<iframe', '<?php', '<!doctype'] as const;
const PDF_HEADER = '%pdf-';
const PDF_WINDOW = 1024;
const LONGEST = Math.max(...MARKUP.map((marker) => marker.length));

/** A zip's end-of-central-directory record: signature, then 16 bytes, then the comment length. */
const ZIP_END = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const ZIP_END_SIZE = 22;
const ZIP_END_WINDOW = ZIP_END_SIZE + 0xffff;

/**
 * The other format a media file also is, or null. A picture that is also a
 * web page or an archive (a "polyglot": a JPEG with a zip or HTML appended
 * still decodes as a JPEG) is how a served upload turns into an attack on
 * whoever opens it another way, so such a file is refused rather than stored.
 * The chance that honest compressed bytes spell one of these markers, or a
 * zip record whose length fields match the file's end, is negligible.
 */
export async function embeddedFormat(path: string): Promise<string | null> {
  const { size } = await stat(path);
  if (await endsWithZip(path, size)) return 'a zip archive';
  let carry: string | null = null;
  for await (const chunk of createReadStream(path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
    const text: string = (carry ?? '') + chunk.toString('latin1').toLowerCase();
    if (carry === null && text.slice(0, PDF_WINDOW).includes(PDF_HEADER)) return 'a PDF';
    const marker = MARKUP.find((candidate) => text.includes(candidate));
    if (marker) return `markup (${marker})`;
    carry = text.slice(-LONGEST);
  }
  return null;
}

async function endsWithZip(path: string, size: number): Promise<boolean> {
  const start = Math.max(0, size - ZIP_END_WINDOW);
  const tail: Buffer[] = [];
  for await (const chunk of createReadStream(path, { start }) as AsyncIterable<Buffer>) tail.push(chunk);
  const bytes = Buffer.concat(tail);
  for (let at = bytes.lastIndexOf(ZIP_END); at >= 0; at = at === 0 ? -1 : bytes.lastIndexOf(ZIP_END, at - 1)) {
    if (at + ZIP_END_SIZE <= bytes.length && at + ZIP_END_SIZE + bytes.readUInt16LE(at + 20) === bytes.length) return true;
  }
  return false;
}

/** Refuses a picture, video or sound that is also another format (see embeddedFormat). */
export async function refusePolyglot(path: string, mime: string): Promise<void> {
  const other = await embeddedFormat(path);
  if (other) throw new KaifError('MEDIA_REJECTED', `The file is ${mime} but also holds ${other}; it is not stored`);
}
