import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { MediaId, MediaView, UserId } from '@kaif/protocol';
import { type Kysely, sql } from 'kysely';
import type { BlobStore } from '../../platform/blob/blob-store.js';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { MessagingApi } from '../messaging/api.js';
import { processImage } from './image-processing.js';
import type { MediaHolder } from './api.js';
import type { MediaTable, MediaTables } from './media-tables.js';
import { checkClaim, claimedKind, detectType } from './media-type.js';
import { refusePolyglot } from './polyglot.js';
import type { MediaJobs } from './media-jobs.js';
import { extractPoster, probeMedia, waveformOf } from './media-probe.js';
import { hashFile, scratchDirectory, writeUpload } from './upload-file.js';

/** Sounds up to this long get a waveform: voice notes, not albums. */
const MAX_WAVEFORM_MS = 10 * 60_000;

/** Photos are held to this whatever KAIF_MEDIA_MAX_BYTES says: larger ones are not photos a phone sends. */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface MediaLimits {
  readonly maxBytes: number;
  readonly quotaBytes: number;
  /** Longest video or audio. */
  readonly maxDurationMs: number;
}

/** An upload whose bytes are complete on local disk, in a scratch directory the caller removes afterwards. */
export interface ReceivedUpload {
  readonly path: string;
  readonly scratch: string;
  readonly size: number;
  readonly sha256: string;
  readonly name: string;
  readonly declaredMime: string | undefined;
}

/** What a reader fetches: the original or the thumbnail. */
export type MediaPart = 'original' | 'thumbnail';

export interface ReadableMedia {
  readonly row: MediaTable;
  readonly key: string;
  readonly mime: string;
  readonly size: number;
  readonly etag: string;
}

const TOO_LARGE = () => new KaifError('PAYLOAD_TOO_LARGE', 'The file is larger than this server takes');

export const mediaView = (row: MediaTable): MediaView => ({
  id: row.id as MediaId,
  kind: row.kind,
  mime: row.mime,
  size: Number(row.size),
  name: row.name,
  ...(row.width ? { width: row.width } : {}),
  ...(row.height ? { height: row.height } : {}),
  ...(row.duration_ms !== null ? { durationMs: row.duration_ms } : {}),
  url: `/api/v1/media/${row.id}`,
  ...(row.thumbnail_key ? { thumbnailUrl: `/api/v1/media/${row.id}/thumbnail` } : {}),
  ...(row.placeholder ? { placeholder: row.placeholder } : {}),
  ...(row.waveform && row.waveform.length > 0 ? { waveform: row.waveform.map(Number) } : {}),
});

/**
 * Stores uploads as media and decides who may read them. An upload is
 * checked and processed before anything is stored; its blobs are written
 * before its row commits, so a row always has its bytes (a crash between
 * the two leaves blobs no row names, never a row without bytes). The
 * answer comes after COMMIT.
 */
export class MediaService {
  private readonly holders: MediaHolder[] = [];

  constructor(
    private readonly db: Kysely<MediaTables>,
    private readonly blobs: BlobStore,
    private readonly messaging: MessagingApi,
    private readonly limits: MediaLimits,
    private readonly logger: Logger,
    private readonly jobs: MediaJobs,
    /** Told after a commit that queued a job. */
    private readonly queued: () => void,
  ) {}

  async store(ownerId: UserId, upload: ReceivedUpload): Promise<MediaView> {
    if (upload.size > this.limits.maxBytes) throw TOO_LARGE();
    if (upload.size === 0) throw new KaifError('MEDIA_REJECTED', 'The file is empty');
    const detected = await detectType(upload.path);
    checkClaim(claimedKind(upload.declaredMime, upload.name), detected);
    if (detected.kind !== 'file') await refusePolyglot(upload.path, detected.mime);
    const id = randomUUID();
    let row: MediaTable = {
      id,
      owner_id: ownerId,
      kind: detected.kind,
      mime: detected.mime,
      size: upload.size,
      name: upload.name,
      width: null,
      height: null,
      duration_ms: null,
      sha256: upload.sha256,
      blob_key: `media/${id}/original`,
      thumbnail_key: null,
      placeholder: null,
      created_at: new Date(),
      checked_at: null,
      charged_bytes: 0,
      waveform: null,
    };
    let originalPath = upload.path;
    let thumbnailPath: string | null = null;
    if (detected.kind === 'image') {
      if (upload.size > MAX_IMAGE_BYTES) throw TOO_LARGE();
      const image = await processImage(upload.path, detected.mime, {
        original: join(upload.scratch, 'clean'),
        thumbnail: join(upload.scratch, 'thumbnail.webp'),
      });
      const cleaned = await hashFile(image.originalPath);
      originalPath = image.originalPath;
      thumbnailPath = image.thumbnailPath;
      row = {
        ...row,
        mime: image.mime,
        size: cleaned.size,
        sha256: cleaned.sha256,
        width: image.width,
        height: image.height,
        thumbnail_key: `media/${id}/thumbnail`,
        placeholder: image.placeholder,
      };
    }
    let needsPoster = false;
    if (detected.kind === 'video' || detected.kind === 'audio') {
      const probed = await probeMedia(upload.path);
      if (probed.durationMs > this.limits.maxDurationMs) {
        throw new KaifError('MEDIA_REJECTED', `The video or audio is longer than ${Math.floor(this.limits.maxDurationMs / 1000)} seconds`);
      }
      // An MP4 holding only sound is audio, whatever its container says.
      const kind = probed.hasVideo ? 'video' : 'audio';
      needsPoster = kind === 'video';
      row = {
        ...row,
        kind,
        width: probed.width,
        height: probed.height,
        duration_ms: probed.durationMs,
        // The poster is made by the worker; until then the thumbnail answers 404.
        thumbnail_key: needsPoster ? `media/${id}/thumbnail` : null,
        // A voice note's waveform comes with it, so the message shows it at once; a long recording gets none.
        waveform: kind === 'audio' && probed.durationMs <= MAX_WAVEFORM_MS ? await waveformOf(upload.path, probed.durationMs) : null,
      };
    }
    const thumbnailSize = thumbnailPath ? (await hashFile(thumbnailPath)).size : 0;
    const charge = row.size + thumbnailSize;
    row = { ...row, charged_bytes: charge };
    await this.checkQuota(ownerId, charge);
    await this.blobs.put(row.blob_key, createReadStream(originalPath), row.size, row.mime);
    try {
      if (thumbnailPath && row.thumbnail_key) await this.blobs.put(row.thumbnail_key, createReadStream(thumbnailPath), thumbnailSize, 'image/webp');
      await this.db.transaction().execute(async (trx) => {
        const charged = await sql<{ bytes: number }>`
          insert into media.usage (user_id, bytes) values (${ownerId}, ${charge})
          on conflict (user_id) do update set bytes = media.usage.bytes + excluded.bytes
          where media.usage.bytes + excluded.bytes <= ${this.limits.quotaBytes}
          returning bytes`.execute(trx);
        if (charged.rows.length === 0 || charge > this.limits.quotaBytes) throw new KaifError('MEDIA_QUOTA_EXCEEDED');
        await trx.insertInto('media.media').values(row).execute();
        if (needsPoster) await this.jobs.enqueue(trx, id);
      });
    } catch (error) {
      await this.deleteBlobs(row);
      throw error;
    }
    if (needsPoster) this.queued();
    this.logger.info({ mediaId: id, userId: ownerId, kind: row.kind, size: row.size }, 'media stored');
    return mediaView(row);
  }

  /**
   * The worker's job for a video: a poster frame (ffmpeg), turned into the
   * WebP thumbnail and the placeholder (sharp). Idempotent: a job run twice
   * writes the same thumbnail. Media deleted meanwhile has nothing to do.
   */
  async makePoster(mediaId: string): Promise<void> {
    const row = await this.db.selectFrom('media.media').selectAll().where('id', '=', mediaId).executeTakeFirst();
    if (!row?.thumbnail_key || row.kind !== 'video') return;
    const scratch = await scratchDirectory();
    try {
      const source = await this.blobs.get(row.blob_key);
      if (!source) return;
      const input = join(scratch.path, 'video');
      await writeUpload(source, input);
      const poster = join(scratch.path, 'poster.png');
      await extractPoster(input, poster, Math.min(1, (row.duration_ms ?? 0) / 2000));
      const image = await processImage(poster, 'image/png', { original: join(scratch.path, 'clean.png'), thumbnail: join(scratch.path, 'thumbnail.webp') });
      const thumbnail = await hashFile(image.thumbnailPath);
      await this.blobs.put(row.thumbnail_key, createReadStream(image.thumbnailPath), thumbnail.size, 'image/webp');
      await this.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('media.media')
          .set((eb) => ({ placeholder: image.placeholder, charged_bytes: eb('charged_bytes', '+', thumbnail.size) }))
          .where('id', '=', mediaId)
          .execute();
        await sql`update media.usage set bytes = bytes + ${thumbnail.size} where user_id = ${row.owner_id}`.execute(trx);
      });
    } finally {
      await scratch.remove();
    }
  }

  /** The media if `userId` may read it; MEDIA_NOT_FOUND otherwise, the same answer as for an id that does not exist. */
  async readable(userId: UserId, mediaId: string, part: MediaPart, admin = false): Promise<ReadableMedia> {
    const row = UUID.test(mediaId) ? await this.db.selectFrom('media.media').selectAll().where('id', '=', mediaId).executeTakeFirst() : undefined;
    if (!row || !(await this.mayRead(userId, row, admin))) throw new KaifError('MEDIA_NOT_FOUND');
    if (part === 'original') return { row, key: row.blob_key, mime: row.mime, size: Number(row.size), etag: `"${row.sha256}"` };
    if (!row.thumbnail_key) throw new KaifError('MEDIA_NOT_FOUND');
    const stat = await this.blobs.stat(row.thumbnail_key);
    if (!stat) throw new KaifError('MEDIA_NOT_FOUND');
    // The thumbnail is made once from the original: the original's hash names it too.
    return { row, key: row.thumbnail_key, mime: 'image/webp', size: stat.size, etag: `"t-${row.sha256}"` };
  }

  async attachable(userId: UserId, mediaIds: readonly MediaId[]): Promise<readonly MediaView[]> {
    if (mediaIds.some((id) => !UUID.test(id))) throw new KaifError('MEDIA_NOT_FOUND');
    const rows = await this.db.selectFrom('media.media').selectAll().where('id', 'in', [...mediaIds]).execute();
    const byId = new Map(rows.map((row) => [row.id, row]));
    const views: MediaView[] = [];
    for (const id of mediaIds) {
      const row = byId.get(id);
      if (!row || !(await this.mayRead(userId, row))) throw new KaifError('MEDIA_NOT_FOUND', `No such media: ${id}`);
      views.push(mediaView(row));
    }
    return views;
  }

  /**
   * Deletes media no message carries any more — never sent within `graceMs`
   * of its upload, or whose messages were all deleted — with its blobs, and
   * gives its bytes back to the owner's quota. Looks at up to `batch` media
   * per call, those checked longest ago first; media still in use is marked
   * checked. Safe on several workers at once: each row is deleted, and its
   * bytes refunded, once. Returns how many it deleted.
   */
  async collectOrphans(graceMs: number, recheckMs: number, batch = 100): Promise<number> {
    const now = Date.now();
    const candidates = await this.db
      .selectFrom('media.media')
      .select('id')
      .where('created_at', '<', new Date(now - graceMs))
      .where((eb) => eb.or([eb('checked_at', 'is', null), eb('checked_at', '<', new Date(now - recheckMs))]))
      .orderBy('checked_at', sql`asc nulls first`)
      .limit(batch)
      .execute();
    if (candidates.length === 0) return 0;
    const ids = candidates.map((row) => row.id as MediaId);
    const inUse = new Set(await this.messaging.mediaInUse(ids));
    for (const holder of this.holders) for (const id of await holder.inUse(ids.filter((id) => !inUse.has(id)))) inUse.add(id);
    const unused = ids.filter((id) => !inUse.has(id));
    if (inUse.size > 0) await this.db.updateTable('media.media').set({ checked_at: new Date(now) }).where('id', 'in', [...inUse]).execute();
    if (unused.length === 0) return 0;
    const deleted = await this.db.transaction().execute(async (trx) => {
      const rows = await trx.deleteFrom('media.media').where('id', 'in', unused).returningAll().execute();
      const refunds = new Map<string, number>();
      for (const row of rows) refunds.set(row.owner_id, (refunds.get(row.owner_id) ?? 0) + Number(row.charged_bytes));
      for (const [owner, bytes] of refunds) {
        await sql`update media.usage set bytes = greatest(0, bytes - ${bytes}) where user_id = ${owner}`.execute(trx);
      }
      return rows;
    });
    for (const row of deleted) await this.deleteBlobs(row);
    if (deleted.length > 0) this.logger.info({ count: deleted.length }, 'deleted media no message carries');
    return deleted.length;
  }

  async uploadedBy(userId: UserId, mediaIds: readonly MediaId[]): Promise<readonly MediaView[]> {
    if (mediaIds.some((id) => !UUID.test(id))) throw new KaifError('MEDIA_NOT_FOUND');
    const rows = mediaIds.length === 0 ? [] : await this.db.selectFrom('media.media').selectAll().where('id', 'in', [...mediaIds]).where('owner_id', '=', userId).execute();
    const byId = new Map(rows.map((row) => [row.id, row]));
    return mediaIds.map((id) => {
      const row = byId.get(id);
      if (!row) throw new KaifError('MEDIA_NOT_FOUND', `No such media: ${id}`);
      return mediaView(row);
    });
  }

  /** Adds a module that shows media outside chats (MediaApi.useHolder). */
  useHolder(holder: MediaHolder): void {
    this.holders.push(holder);
  }

  private async mayRead(userId: UserId, row: MediaTable, admin = false): Promise<boolean> {
    if (row.owner_id === userId || (await this.messaging.canSeeMedia(userId, row.id as MediaId))) return true;
    for (const holder of this.holders) if (await holder.canSee(userId, row.id as MediaId, admin)) return true;
    return false;
  }

  private async checkQuota(ownerId: string, charge: number): Promise<void> {
    const usage = await this.db.selectFrom('media.usage').select('bytes').where('user_id', '=', ownerId).executeTakeFirst();
    if (Number(usage?.bytes ?? 0) + charge > this.limits.quotaBytes) throw new KaifError('MEDIA_QUOTA_EXCEEDED');
  }

  private async deleteBlobs(row: MediaTable): Promise<void> {
    for (const key of [row.blob_key, row.thumbnail_key]) {
      if (key) await this.blobs.delete(key).catch((error: Error) => this.logger.warn({ err: error.message, key }, 'could not delete a blob of a refused upload'));
    }
  }
}
