import type { MediaKind } from '@kaif/protocol';
import { fileTypeFromFile } from 'file-type';
import { KaifError } from '../../platform/http/kaif-error.js';

export interface DetectedType {
  readonly kind: MediaKind;
  readonly mime: string;
}

/** Images sharp decodes here; any other picture format is stored as a file. */
export const IMAGE_MIMES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/tiff']);

/** What the bytes are, by their magic numbers (file-type): never the name or the declared type. */
export async function detectType(path: string): Promise<DetectedType> {
  const found = await fileTypeFromFile(path);
  if (!found) return { kind: 'file', mime: 'application/octet-stream' };
  if (IMAGE_MIMES.has(found.mime)) return { kind: 'image', mime: found.mime };
  if (found.mime.startsWith('video/')) return { kind: 'video', mime: found.mime };
  if (found.mime.startsWith('audio/')) return { kind: 'audio', mime: found.mime };
  return { kind: 'file', mime: found.mime };
}

const EXTENSION_KINDS: Readonly<Record<string, MediaKind>> = {
  jpg: 'image', jpeg: 'image', png: 'image', gif: 'image', webp: 'image', avif: 'image', heic: 'image', tif: 'image', tiff: 'image', bmp: 'image', svg: 'image',
  mp4: 'video', m4v: 'video', mov: 'video', webm: 'video', mkv: 'video', avi: 'video',
  mp3: 'audio', m4a: 'audio', ogg: 'audio', oga: 'audio', opus: 'audio', wav: 'audio', flac: 'audio', aac: 'audio',
};

/** The kind the client claims, by the declared type or else the name's extension; null when it claims no kind of media. */
export function claimedKind(declaredMime: string | undefined, name: string): MediaKind | null {
  const family = declaredMime?.split('/')[0]?.toLowerCase();
  if (family === 'image' || family === 'video' || family === 'audio') return family;
  const extension = /\.([a-z0-9]{1,5})$/i.exec(name)?.[1]?.toLowerCase();
  return (extension && EXTENSION_KINDS[extension]) || null;
}

/**
 * A file that claims to be a picture, a video or a sound must be one: a
 * text file named `.jpg` or a zip declared as video is refused, not quietly
 * stored as a file that a client would then try to play.
 */
export function checkClaim(claimed: MediaKind | null, detected: DetectedType): void {
  if (claimed !== null && claimed !== 'file' && claimed !== detected.kind) {
    throw new KaifError('MEDIA_REJECTED', `The file claims to be ${claimed === 'image' ? 'an image' : `a${claimed === 'audio' ? 'n' : ''} ${claimed}`} but its bytes are ${detected.mime}`);
  }
}
