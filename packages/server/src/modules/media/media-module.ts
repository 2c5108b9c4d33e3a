import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { MediaView, UserId } from '@kaif/protocol';
import type { KaifModule, ModuleContext, ModuleInstance } from '../module.js';
import type { MediaApi } from './api.js';
import { MediaJobs } from './media-jobs.js';
import { MediaLinks } from './media-links.js';
import { registerMediaRoutes } from './media-routes.js';
import { MediaService } from './media-service.js';
import { type MediaTables, mediaMigrations } from './media-tables.js';
import { DEFAULT_WORKER_OPTIONS, MediaWorker, type MediaWorkerOptions } from './media-worker.js';
import { registerTusUploads } from './tus-uploads.js';
import { createUploadBudget } from './upload-budget.js';
import { cleanFileName, hashFile, scratchDirectory } from './upload-file.js';
import { DEFAULT_ORPHAN_SWEEP, type OrphanSweepOptions, startOrphanSweep } from './orphan-sweep.js';

export interface MediaModuleOptions {
  readonly worker?: Partial<MediaWorkerOptions>;
  readonly orphans?: Partial<OrphanSweepOptions>;
}

/**
 * Photos, videos, voice notes and files (see README.md): uploads checked
 * by their bytes, stored in the blob store, readable by their uploader and
 * the members of chats they were sent in; the worker role makes video
 * posters from a job queue in the database and deletes media no message
 * carries. Stateless: any number of
 * processes serve it against the shared database and blob store.
 */
export function createMediaModule(options: MediaModuleOptions = {}): KaifModule {
  return {
    name: 'media',
    migrations: mediaMigrations,
    dependsOn: ['messaging'],
    async init(ctx: ModuleContext): Promise<ModuleInstance<MediaApi>> {
      const messaging = ctx.service('messaging');
      const db = ctx.db.kysely<MediaTables>();
      const logger = ctx.logger.child({ module: 'media' });
      const jobs = new MediaJobs(db);
      let worker: MediaWorker | undefined;
      let sweep: { stop(): Promise<void> } | undefined;
      let strays: { stop(): Promise<void> } | undefined;
      const orphans = { ...DEFAULT_ORPHAN_SWEEP, ...options.orphans };
      const service = new MediaService(
        db,
        ctx.blobs,
        messaging,
        {
          maxBytes: ctx.config.KAIF_MEDIA_MAX_BYTES,
          quotaBytes: ctx.config.KAIF_MEDIA_QUOTA_BYTES,
          maxDurationMs: ctx.config.KAIF_MEDIA_MAX_DURATION_SECONDS * 1000,
        },
        logger,
        jobs,
        () => worker?.nudge(),
      );
      const api: MediaApi = { attachable: (userId, mediaIds) => service.attachable(userId, mediaIds), useHolder: (holder) => service.useHolder(holder),
        uploadedBy: (userId, mediaIds) => service.uploadedBy(userId, mediaIds),
        storeImage: (ownerId, bytes, name) => storeImage(service, ownerId, bytes, name),
      };
      messaging.useMediaResolver(api.attachable);
      return {
        api,
        listeners: {
          api: {
            async open() {
              const budget = createUploadBudget(ctx.kv, ctx.config.KAIF_MEDIA_UPLOADS_PER_MINUTE);
              const maxBytes = ctx.config.KAIF_MEDIA_MAX_BYTES;
              await registerMediaRoutes(ctx.http, { service, links: new MediaLinks(ctx.secrets), blobs: ctx.blobs, budget, maxBytes });
              await registerTusUploads(ctx.http, { service, budget, maxBytes, directory: join(resolve(ctx.config.KAIF_DATA_DIR), 'uploads') });
            },
          },
          worker: {
            async open() {
              worker = new MediaWorker(jobs, (mediaId, attempt) => service.runJob(mediaId, attempt), logger, { ...DEFAULT_WORKER_OPTIONS, ...options.worker });
              worker.start();
              sweep = startOrphanSweep(() => service.collectOrphans(orphans.graceMs, orphans.recheckMs), logger, orphans);
              // One pass over the listing each time (it returns what it deleted, and a second pass would find nothing new).
              strays = startOrphanSweep(
                async () => {
                  await service.collectStrayBlobs(orphans.strayGraceMs);
                  return 0;
                },
                logger,
                { everyMs: orphans.strayEveryMs },
              );
            },
            async close() {
              await Promise.all([worker?.stop(), sweep?.stop(), strays?.stop()]);
            },
          },
        },
      };
    },
  };
}

/** Bytes in memory stored as an upload of `ownerId`'s, through a scratch file as an upload goes; only an image is kept. */
async function storeImage(service: MediaService, ownerId: UserId, bytes: Uint8Array, name: string): Promise<MediaView> {
  const scratch = await scratchDirectory();
  try {
    const path = join(scratch.path, 'upload');
    await writeFile(path, bytes, { flag: 'wx' });
    const { size, sha256 } = await hashFile(path);
    // Declared an image: the detected type must agree, so anything else is refused before it is stored.
    return await service.store(ownerId, { path, scratch: scratch.path, size, sha256, name: cleanFileName(name), declaredMime: 'image/*' });
  } finally {
    await scratch.remove();
  }
}

export const mediaModule: KaifModule = createMediaModule();
