import sharp, { type Metadata, type Sharp } from 'sharp';
import { KaifError } from '../../platform/http/kaif-error.js';

/** Decoded pixels allowed in one image (all frames): 50 MP, four times a 12 MP phone photo; a decompression bomb states far more. */
export const MAX_IMAGE_PIXELS = 50_000_000;
/** Longest side of a thumbnail. */
const THUMBNAIL_SIDE = 320;
/** Longest side of the blurred placeholder inlined in every media view. */
const PLACEHOLDER_SIDE = 16;
/** No single encode may take longer: a hostile file must not hold the process. */
const ENCODE_SECONDS = 20;

export interface ProcessedImage {
  readonly mime: string;
  readonly width: number;
  readonly height: number;
  /** The cleaned original: re-encoded, EXIF/GPS and every other metadata gone, turned upright. */
  readonly originalPath: string;
  readonly thumbnailPath: string;
  readonly placeholder: string;
}

const rejected = (why: string) => new KaifError('MEDIA_REJECTED', `The image cannot be used: ${why}`);

/**
 * What the upload request checks before it stores a photo, from the header
 * alone (no pixel is decoded, so it takes milliseconds whatever the file):
 * its size, and that it states no more pixels than the limit — a
 * decompression bomb is refused here, before it is stored. The size is
 * the upright one (EXIF orientations 5–8 swap the sides), as the cleaned
 * photo will have it. The decode itself is the worker's (processImage).
 */
export async function inspectImage(path: string, mime: string): Promise<{ readonly width: number; readonly height: number }> {
  const animated = mime === 'image/gif' || mime === 'image/webp';
  let meta: Metadata;
  try {
    meta = await sharp(path, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'warning', animated }).timeout({ seconds: ENCODE_SECONDS }).metadata();
  } catch (error) {
    throw rejected((error as Error).message.replace(/^Vips\w*:\s*/, '').slice(0, 200));
  }
  const frames = meta.pages ?? 1;
  const height = meta.pageHeight ?? meta.height;
  if (!meta.width || !height) throw rejected('it has no size');
  if (meta.width * height * frames > MAX_IMAGE_PIXELS) throw rejected(`more than ${MAX_IMAGE_PIXELS} pixels`);
  const turned = (meta.orientation ?? 1) >= 5;
  return turned ? { width: height, height: meta.width } : { width: meta.width, height };
}

/** The type the cleaned photo is stored as: its own, but TIFF (and anything else) becomes PNG. */
export function cleanedMime(mime: string): string {
  return ['image/jpeg', 'image/webp', 'image/gif', 'image/avif'].includes(mime) ? mime : 'image/png';
}

/**
 * Decodes an upload with sharp under a pixel limit and writes the cleaned
 * original (same format; TIFF becomes PNG), a WebP thumbnail and a tiny
 * blurred placeholder. Anything sharp cannot decode cleanly — a truncated
 * file, a warning from the decoder, more pixels than the limit — is
 * MEDIA_REJECTED. Re-encoding also drops whatever else follows the image
 * (a recognisable polyglot was refused before; see polyglot.ts).
 */
export async function processImage(path: string, mime: string, out: { readonly original: string; readonly thumbnail: string }): Promise<ProcessedImage> {
  const animated = mime === 'image/gif' || mime === 'image/webp';
  const open = (): Sharp => sharp(path, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'warning', animated, sequentialRead: true }).timeout({ seconds: ENCODE_SECONDS });
  try {
    const meta = await open().metadata();
    const frames = meta.pages ?? 1;
    const height = meta.pageHeight ?? meta.height;
    if (!meta.width || !height) throw rejected('it has no size');
    if (meta.width * height * frames > MAX_IMAGE_PIXELS) throw rejected(`more than ${MAX_IMAGE_PIXELS} pixels`);
    const { encoded, outMime } = encodeAs(open().rotate(), mime);
    const info = await encoded.toFile(out.original);
    await open()
      .rotate()
      .resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 70 })
      .toFile(out.thumbnail);
    const tiny = await sharp(path, { limitInputPixels: MAX_IMAGE_PIXELS, failOn: 'warning' })
      .timeout({ seconds: ENCODE_SECONDS })
      .rotate()
      .resize(PLACEHOLDER_SIDE, PLACEHOLDER_SIDE, { fit: 'inside' })
      .blur(1)
      .webp({ quality: 30 })
      .toBuffer();
    return {
      mime: outMime,
      width: info.width,
      height: animated && frames > 1 ? height : info.height,
      originalPath: out.original,
      thumbnailPath: out.thumbnail,
      placeholder: `data:image/webp;base64,${tiny.toString('base64')}`,
    };
  } catch (error) {
    if (error instanceof KaifError) throw error;
    throw rejected((error as Error).message.replace(/^Vips\w*:\s*/, '').slice(0, 200));
  }
}

function encodeAs(image: Sharp, mime: string): { encoded: Sharp; outMime: string } {
  switch (mime) {
    case 'image/jpeg':
      // libjpeg-turbo, not mozjpeg: mozjpeg took 12× as long on a 12 MP photo (7.4 s vs 0.6 s) for a smaller file nobody waits for.
      return { encoded: image.jpeg({ quality: 88 }), outMime: mime };
    case 'image/webp':
      return { encoded: image.webp({ quality: 90 }), outMime: mime };
    case 'image/gif':
      return { encoded: image.gif(), outMime: mime };
    case 'image/avif':
      return { encoded: image.avif({ quality: 60 }), outMime: mime };
    default:
      return { encoded: image.png(), outMime: 'image/png' };
  }
}
