import type { KaifModule, ModuleContext, ModuleInstance } from '../module.js';
import type { MediaApi } from './api.js';
import { registerMediaRoutes } from './media-routes.js';
import { MediaService } from './media-service.js';
import { type MediaTables, mediaMigrations } from './media-tables.js';
import { createUploadBudget } from './upload-budget.js';

/**
 * Photos, videos, voice notes and files (see README.md): uploads checked
 * by their bytes, stored in the blob store, readable by their uploader and
 * the members of chats they were sent in. Stateless: any number of
 * processes serve it against the shared database and blob store.
 */
export const mediaModule: KaifModule = {
  name: 'media',
  migrations: mediaMigrations,
  dependsOn: ['messaging'],
  async init(ctx: ModuleContext): Promise<ModuleInstance<MediaApi>> {
    const messaging = ctx.service('messaging');
    const service = new MediaService(
      ctx.db.kysely<MediaTables>(),
      ctx.blobs,
      messaging,
      { maxBytes: ctx.config.KAIF_MEDIA_MAX_BYTES, quotaBytes: ctx.config.KAIF_MEDIA_QUOTA_BYTES },
      ctx.logger.child({ module: 'media' }),
    );
    const api: MediaApi = { attachable: (userId, mediaIds) => service.attachable(userId, mediaIds) };
    messaging.useMediaResolver(api.attachable);
    return {
      api,
      listeners: {
        api: {
          async open() {
            await registerMediaRoutes(ctx.http, {
              service,
              blobs: ctx.blobs,
              budget: createUploadBudget(ctx.kv, ctx.config.KAIF_MEDIA_UPLOADS_PER_MINUTE),
              maxBytes: ctx.config.KAIF_MEDIA_MAX_BYTES,
            });
          },
        },
      },
    };
  },
};
