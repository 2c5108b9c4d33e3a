import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32, deflateSync } from 'node:zlib';
import type { MediaView } from '@kaif/protocol';
import sharp from 'sharp';

/** A JPEG photo with EXIF to be stripped: an author, a GPS note in its description, and a GPS position (the GPS IFD: 55°45'20.88"N 37°37'2.64"E). */
export async function photoWithExif(width = 1200, height = 800): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 120, sigma: 40 } } })
    .withExif({
      IFD0: { Artist: 'Kaif Test', ImageDescription: 'GPS 55.7558N 37.6173E' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '55/1 45/1 2088/100', GPSLongitudeRef: 'E', GPSLongitude: '37/1 37/1 264/100' },
    })
    .jpeg({ quality: 80 })
    .toBuffer();
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A decompression bomb: a valid PNG that states 50,000 × 50,000 pixels
 * (2.5 gigapixels) in a few hundred bytes — the header and one compressed
 * row, never the pixels.
 */
export function pngBomb(side = 50_000): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.alloc(side + 1))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A minimal zip archive (one stored file): what a "video" that is really an archive looks like. */
export function zipArchive(): Buffer {
  const name = Buffer.from('video.mp4');
  const data = Buffer.from('not a video at all');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(10, 4);
  local.writeUInt32LE(crc32(data), 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(10, 4);
  central.writeUInt16LE(10, 6);
  central.writeUInt32LE(crc32(data), 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(local.length + name.length + data.length, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

export interface UploadAnswer {
  readonly status: number;
  readonly body: Record<string, unknown> & { error?: { code: string } };
}

/** POST /api/v1/media as a browser's FormData would send it. */
export async function upload(baseUrl: string, token: string, bytes: Buffer, name: string, type = 'application/octet-stream'): Promise<UploadAnswer> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type }), name);
  const response = await fetch(`${baseUrl}/api/v1/media`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  return { status: response.status, body: (await response.json()) as UploadAnswer['body'] };
}

/** The media record now (GET /api/v1/media/:id/info), polled until the worker is done with it (ready or rejected). */
export async function settledMedia(baseUrl: string, token: string, id: string, timeoutMs = 30_000): Promise<MediaView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${baseUrl}/api/v1/media/${id}/info`, { headers: { authorization: `Bearer ${token}` } });
    const view = (await response.json()) as MediaView;
    if (view.status !== 'processing' || Date.now() > deadline) return view;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** An upload the worker has finished with: the record as a message sent now would carry it. */
export async function uploadSettled(baseUrl: string, token: string, bytes: Buffer, name: string, type?: string): Promise<MediaView> {
  const answer = await upload(baseUrl, token, bytes, name, type);
  if (answer.status !== 201) throw new Error(`upload ${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return settledMedia(baseUrl, token, (answer.body as unknown as MediaView).id);
}

export async function fetchMedia(baseUrl: string, token: string, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** A small test-pattern video (H.264 in MP4, or VP8 in WebM) or a tone (Opus in Ogg), made by Debian's ffmpeg. */
export async function recorded(kind: 'video' | 'audio', seconds: number, size = '320x240', container: 'mp4' | 'webm' = 'mp4'): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'kaif-media-fixture-'));
  const out = join(dir, kind === 'video' ? `clip.${container}` : 'voice.ogg');
  const codec = container === 'webm' ? ['-c:v', 'libvpx', '-b:v', '300k'] : ['-c:v', 'libx264', '-preset', 'ultrafast'];
  const input =
    kind === 'video'
      ? ['-f', 'lavfi', '-i', `testsrc=duration=${seconds}:size=${size}:rate=10`, '-pix_fmt', 'yuv420p', ...codec]
      : ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:a', 'libopus'];
  await promisify(execFile)('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...input, out]);
  const bytes = await readFile(out);
  await rm(dir, { recursive: true, force: true });
  return bytes;
}
