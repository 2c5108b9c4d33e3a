import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import type { MediaId, MediaView, UserId } from '@kaif/protocol';
import { type Kysely, sql } from 'kysely';
import type { BlobStore } from '../../platform/blob/blob-store.js';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { MessagingApi } from '../messaging/api.js';
import { cleanedMime, inspectImage, processImage } from './image-processing.js';
import type { MediaHolder } from './api.js';
import type { MediaTable, MediaTables } from './media-tables.js';
import { checkClaim, claimedKind, detectType } from './media-type.js';
import { refusePolyglot } from './polyglot.js';
import { MAX_ATTEMPTS, type MediaJobs } from './media-jobs.js';
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

/** Where a photo's upload waits, uncleaned, for the worker: never served, deleted once the photo is processed. */
export const uploadKey = (mediaId: string) => `media/${mediaId}/upload`;

/** A read of something the worker has not made yet: answered 202 with Retry-After, never a 404 that looks like "gone". */
export class MediaProcessing {
  constructor(readonly row: MediaTable) {}
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
  ...(row.status !== 'ready' ? { status: row.status } : {}),
});

/**
 * Stores uploads as media and decides who may read them. An upload's type
 * and the cheap checks (header-only pixel limit, polyglots, video probe)
 * run in the request, so a hostile file is refused before anything is
 * stored; a photo's decode and clean re-encode, and a video's poster, are
 * jobs for the worker role. Its blob is written before its row (and job)
 * commit, so a row always has its bytes (a crash between the two leaves a
 * blob no row names, which the stray-blob sweep deletes). The answer comes
 * after COMMIT.
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
      status: 'ready',
    };
    let needsJob = false;
    if (detected.kind === 'image') {
      if (upload.size > MAX_IMAGE_BYTES) throw TOO_LARGE();
      // Only the header is read here (a bomb is refused before it is stored); the decode is the worker's.
      const header = await inspectImage(upload.path, detected.mime);
      needsJob = true;
      row = {
        ...row,
        mime: cleanedMime(detected.mime),
        width: header.width,
        height: header.height,
        thumbnail_key: `media/${id}/thumbnail`,
        status: 'processing',
      };
    }
    if (detected.kind === 'video' || detected.kind === 'audio') {
      const probed = await probeMedia(upload.path);
      if (probed.durationMs > this.limits.maxDurationMs) {
        throw new KaifError('MEDIA_REJECTED', `The video or audio is longer than ${Math.floor(this.limits.maxDurationMs / 1000)} seconds`);
      }
      // An MP4 holding only sound is audio, whatever its container says.
      const kind = probed.hasVideo ? 'video' : 'audio';
      const needsPoster = kind === 'video';
      needsJob ||= needsPoster;
      row = {
        ...row,
        kind,
        width: probed.width,
        height: probed.height,
        duration_ms: probed.durationMs,
        // The poster is made by the worker; until then the thumbnail answers 202 (processing).
        thumbnail_key: needsPoster ? `media/${id}/thumbnail` : null,
        status: needsPoster ? 'processing' : 'ready',
        // A voice note's waveform comes with it, so the message shows it at once; a long recording gets none.
        waveform: kind === 'audio' && probed.durationMs <= MAX_WAVEFORM_MS ? await waveformOf(upload.path, probed.durationMs) : null,
      };
    }
    const charge = row.size;
    row = { ...row, charged_bytes: charge };
    await this.checkQuota(ownerId, charge);
    // A photo's upload still holds its EXIF/GPS: it waits under a key no read serves.
    const storedAt = row.kind === 'image' ? uploadKey(id) : row.blob_key;
    await this.blobs.put(storedAt, createReadStream(upload.path), row.size, detected.mime);
    try {
      await this.db.transaction().execute(async (trx) => {
        const charged = await sql<{ bytes: number }>`
          insert into media.usage (user_id, bytes) values (${ownerId}, ${charge})
          on conflict (user_id) do update set bytes = media.usage.bytes + excluded.bytes
          where media.usage.bytes + excluded.bytes <= ${this.limits.quotaBytes}
          returning bytes`.execute(trx);
        if (charged.rows.length === 0 || charge > this.limits.quotaBytes) throw new KaifError('MEDIA_QUOTA_EXCEEDED');
        await trx.insertInto('media.media').values(row).execute();
        if (needsJob) await this.jobs.enqueue(trx, id);
      });
    } catch (error) {
      await this.blobs.delete(storedAt).catch((failure: Error) => this.logger.warn({ err: failure.message, key: storedAt }, 'could not delete a blob of a refused upload'));
      throw error;
    }
    if (needsJob) this.queued();
    this.logger.info({ mediaId: id, userId: ownerId, kind: row.kind, size: row.size }, 'media stored');
    return mediaView(row);
  }

  /**
   * One job of the worker role (see MediaWorker): a photo's processing or a
   * video's poster. A photo the decoder refuses is rejected at once; any
   * other failure is retried, and the last attempt's failure ends the job
   * too (a photo rejected, a video ready without a poster), so no media
   * stays `processing` for ever.
   */
  async runJob(mediaId: string, attempt: number): Promise<void> {
    const row = await this.db.selectFrom('media.media').selectAll().where('id', '=', mediaId).executeTakeFirst();
    if (row?.status !== 'processing') return;
    // Claimed more often than it may be tried: the workers that took it died with it (killed while decoding, say).
    // It is not tried again — a file that kills its worker would otherwise do so for ever.
    if (attempt > MAX_ATTEMPTS) {
      this.logger.warn({ mediaId, attempt }, 'gave up on a media job its workers died with');
      if (row.kind === 'image') await this.reject(row);
      else await this.db.updateTable('media.media').set({ status: 'ready', thumbnail_key: null }).where('id', '=', mediaId).execute();
      return;
    }
    try {
      if (row.kind === 'image') await this.processPhoto(row);
      else if (row.kind === 'video') await this.makePoster(mediaId);
    } catch (error) {
      const refused = error instanceof KaifError && error.code === 'MEDIA_REJECTED';
      if (!refused && attempt < MAX_ATTEMPTS) throw error;
      this.logger.warn({ mediaId, attempt, err: (error as Error).message }, row.kind === 'image' ? 'rejected a photo the worker could not process' : 'gave up on a video poster');
      if (row.kind === 'image') await this.reject(row);
      else await this.db.updateTable('media.media').set({ status: 'ready', thumbnail_key: null }).where('id', '=', mediaId).execute();
    }
  }

  /**
   * A photo's processing, in the worker: decoded with sharp under the pixel
   * limit, the original re-encoded upright without EXIF/GPS or any other
   * metadata, a WebP thumbnail and a blurred placeholder. The cleaned blobs
   * are written before the row says `ready`, and the upload is deleted only
   * after: a crash anywhere leaves the job to run again (it is idempotent)
   * or, at worst, an upload blob the stray-blob sweep removes.
   */
  private async processPhoto(row: MediaTable): Promise<void> {
    const scratch = await scratchDirectory();
    try {
      const source = await this.blobs.get(uploadKey(row.id));
      if (!source) throw new KaifError('MEDIA_REJECTED', 'The upload is gone');
      const input = join(scratch.path, 'upload');
      await writeUpload(source, input);
      const image = await processImage(input, (await detectType(input)).mime, {
        original: join(scratch.path, 'clean'),
        thumbnail: join(scratch.path, 'thumbnail.webp'),
      });
      const cleaned = await hashFile(image.originalPath);
      const thumbnail = await hashFile(image.thumbnailPath);
      const thumbnailKey = row.thumbnail_key ?? `media/${row.id}/thumbnail`;
      await this.blobs.put(row.blob_key, createReadStream(image.originalPath), cleaned.size, image.mime);
      await this.blobs.put(thumbnailKey, createReadStream(image.thumbnailPath), thumbnail.size, 'image/webp');
      const charge = cleaned.size + thumbnail.size;
      const done = await this.db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('media.media')
          .set({
            status: 'ready',
            mime: image.mime,
            size: cleaned.size,
            sha256: cleaned.sha256,
            width: image.width,
            height: image.height,
            thumbnail_key: thumbnailKey,
            placeholder: image.placeholder,
            charged_bytes: charge,
          })
          .where('id', '=', row.id)
          .where('status', '=', 'processing')
          .returning('id')
          .execute();
        // The owner pays for what is stored now instead of the upload (no quota check: the upload passed it).
        if (updated.length > 0) await sql`update media.usage set bytes = greatest(0, bytes + ${charge - Number(row.charged_bytes)}) where user_id = ${row.owner_id}`.execute(trx);
        return updated.length > 0;
      });
      if (done) await this.blobs.delete(uploadKey(row.id));
      this.logger.info({ mediaId: row.id, size: cleaned.size }, 'photo processed');
    } finally {
      await scratch.remove();
    }
  }

  /** A photo the worker cannot use: `rejected`, its bytes deleted and given back to the owner's quota. */
  private async reject(row: MediaTable): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('media.media')
        .set({ status: 'rejected', charged_bytes: 0, thumbnail_key: null, placeholder: null })
        .where('id', '=', row.id)
        .where('status', '=', 'processing')
        .returning('charged_bytes')
        .execute();
      if (updated.length > 0) await sql`update media.usage set bytes = greatest(0, bytes - ${Number(row.charged_bytes)}) where user_id = ${row.owner_id}`.execute(trx);
    });
    for (const key of [uploadKey(row.id), row.blob_key, row.thumbnail_key]) {
      if (key) await this.blobs.delete(key).catch((error: Error) => this.logger.warn({ err: error.message, key }, 'could not delete a blob of a rejected photo'));
    }
  }

  /**
   * The worker's job for a video: a poster frame (ffmpeg), turned into the
   * WebP thumbnail and the placeholder (sharp). Idempotent: a job run twice
   * writes the same thumbnail. Media deleted meanwhile has nothing to do.
   */
  private async makePoster(mediaId: string): Promise<void> {
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
          .set((eb) => ({ status: 'ready', placeholder: image.placeholder, charged_bytes: eb('charged_bytes', '+', thumbnail.size) }))
          .where('id', '=', mediaId)
          .execute();
        await sql`update media.usage set bytes = bytes + ${thumbnail.size} where user_id = ${row.owner_id}`.execute(trx);
      });
    } finally {
      await scratch.remove();
    }
  }

  /** The media's row if `userId` may read it; MEDIA_NOT_FOUND otherwise, the same answer as for an id that does not exist. */
  async accessible(userId: UserId, mediaId: string, admin = false): Promise<MediaTable> {
    const row = UUID.test(mediaId) ? await this.db.selectFrom('media.media').selectAll().where('id', '=', mediaId).executeTakeFirst() : undefined;
    if (!row || !(await this.mayRead(userId, row, admin))) throw new KaifError('MEDIA_NOT_FOUND');
    return row;
  }

  /**
   * What a read of `part` serves; MediaProcessing while the worker has not
   * made it yet (a photo: neither part — its upload still carries EXIF/GPS
   * and is served to nobody, its uploader included; a video: its poster),
   * MEDIA_REJECTED for a photo the worker refused.
   */
  async readable(userId: UserId, mediaId: string, part: MediaPart, admin = false): Promise<ReadableMedia | MediaProcessing> {
    const row = await this.accessible(userId, mediaId, admin);
    if (row.status === 'rejected') throw new KaifError('MEDIA_REJECTED', 'The worker could not decode this media; it was not kept');
    if (row.status === 'processing' && (row.kind === 'image' || part === 'thumbnail')) return new MediaProcessing(row);
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
      if (row.status === 'rejected') throw new KaifError('MEDIA_REJECTED', `The worker could not decode media ${id}`);
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

  /**
   * Deletes blobs under `media/` that no row names and that are older than
   * `graceMs`: written just before a crash, before their row committed (or a
   * photo's upload left behind after it was processed). A row names its
   * original and thumbnail; while a photo is processing, its upload too; a
   * rejected photo names none. The grace period covers uploads whose row is
   * about to commit (seconds) many times over. Walks the whole listing, a
   * batch of ids at a time. Returns how many blobs it deleted.
   */
  async collectStrayBlobs(graceMs: number, batch = 500): Promise<number> {
    const cutoff = Date.now() - graceMs;
    let deleted = 0;
    let pending = new Map<string, string[]>();
    const settle = async () => {
      const ids = [...pending.keys()].filter((id) => UUID.test(id));
      const rows = ids.length > 0 ? await this.db.selectFrom('media.media').select(['id', 'kind', 'status', 'blob_key', 'thumbnail_key']).where('id', 'in', ids).execute() : [];
      const named = new Set<string>();
      for (const row of rows) {
        if (row.status === 'rejected') continue;
        named.add(row.blob_key);
        if (row.thumbnail_key) named.add(row.thumbnail_key);
        if (row.status === 'processing' && row.kind === 'image') named.add(uploadKey(row.id));
      }
      for (const keys of pending.values()) {
        for (const key of keys) {
          if (named.has(key)) continue;
          await this.blobs.delete(key);
          deleted += 1;
        }
      }
      pending = new Map();
    };
    for await (const entry of this.blobs.list('media/')) {
      if (entry.modifiedAt.getTime() >= cutoff) continue;
      const id = entry.key.split('/')[1] ?? '';
      pending.set(id, [...(pending.get(id) ?? []), entry.key]);
      if (pending.size >= batch) await settle();
    }
    await settle();
    if (deleted > 0) this.logger.info({ count: deleted }, 'deleted blobs no media names');
    return deleted;
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
    for (const key of [row.blob_key, row.thumbnail_key, row.kind === 'image' ? uploadKey(row.id) : null]) {
      if (key) await this.blobs.delete(key).catch((error: Error) => this.logger.warn({ err: error.message, key }, 'could not delete a blob of deleted media'));
    }
  }
}
