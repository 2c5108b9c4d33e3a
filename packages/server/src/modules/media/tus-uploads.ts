import type { IncomingMessage } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { UserId } from '@kaif/protocol';
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';
import type { HttpServer } from '../../platform/http/http-server.js';
import { KaifError } from '../../platform/http/kaif-error.js';
import { principalOf } from '../../platform/http/principal.js';
import type { MediaService } from './media-service.js';
import type { UploadBudget } from './upload-budget.js';
import { cleanFileName, hashFile, scratchDirectory } from './upload-file.js';

const PATH = '/api/v1/uploads';

export interface TusUploadDeps {
  readonly service: MediaService;
  readonly budget: UploadBudget;
  readonly maxBytes: number;
  /** Where partial uploads wait for the rest of their bytes: on disk, so they outlive a restart. */
  readonly directory: string;
}

/** The body tus answers an error with: the API's error shape, as text. */
const failure = (error: KaifError) => ({
  status_code: error.status,
  body: JSON.stringify({ error: error.toPayload() }),
});

/**
 * Resumable uploads, tus 1.0 (tus.io; @tus/server with @tus/file-store) at
 * /api/v1/uploads: create with POST (`Upload-Length`, `Upload-Metadata`
 * `filename` and `filetype`), send with PATCH from `Upload-Offset`, and
 * after a dropped connection ask HEAD where it stopped and go on from
 * there. The last PATCH ends in the same `media` as POST /api/v1/media —
 * answered 200 with the media as JSON (tus clients accept any 2xx) — or in
 * its error. Partial uploads live under KAIF_DATA_DIR/uploads, so an upload
 * resumes on the node that holds it (sticky routing when scaled out).
 * Each upload belongs to the user who created it: anyone else gets 404.
 */
export async function registerTusUploads(http: HttpServer, deps: TusUploadDeps): Promise<void> {
  const callers = new WeakMap<IncomingMessage, UserId>();
  let started: Promise<Server> | undefined;
  // Made on first use: FileStore creates its directory when constructed, and a node that never takes a tus upload needs none.
  const tusServer = () => {
    started ??= mkdir(deps.directory, { recursive: true }).then(() => createTusServer(deps, callers));
    return started.catch((error: unknown) => {
      started = undefined;
      throw error;
    });
  };

  await http.register(async (scope) => {
    // tus reads the body itself, as it streams: Fastify must leave it alone.
    scope.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null));
    const methods = ['POST', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS'] as const;
    for (const url of [PATH, `${PATH}/*`]) {
      scope.route({
        method: [...methods],
        url,
        schema: { tags: ['media'], summary: 'Resumable uploads (tus 1.0), ending in a media', hide: url !== PATH },
        async handler(request, reply) {
          callers.set(request.raw, principalOf(request).userId);
          const tus = await tusServer();
          reply.hijack();
          await tus.handle(request.raw, reply.raw);
        },
      });
    }
  });
}

function createTusServer(deps: TusUploadDeps, callers: WeakMap<IncomingMessage, UserId>): Server {
  const datastore = new FileStore({ directory: deps.directory });
  const callerOf = (req: { runtime?: { node?: { req: IncomingMessage } } }): UserId => {
    const node = req.runtime?.node?.req;
    const userId = node && callers.get(node);
    if (!userId) throw failure(new KaifError('UNAUTHORIZED'));
    return userId;
  };
  const tus = new Server({
    path: PATH,
    datastore,
    maxSize: deps.maxBytes,
    relativeLocation: true,
    allowedOrigins: [],
    async onIncomingRequest(req, uploadId) {
      const userId = callerOf(req as never);
      if (!uploadId) return;
      const upload = await datastore.getUpload(uploadId).catch(() => null);
      if (upload && upload.metadata?.owner !== userId) throw failure(new KaifError('MEDIA_NOT_FOUND'));
    },
    async onUploadCreate(req, upload) {
      const userId = callerOf(req as never);
      try {
        await deps.budget.consume(userId);
      } catch (error) {
        throw failure(error as KaifError);
      }
      // The owner is the caller, whatever metadata the client sent.
      return { metadata: { ...upload.metadata, owner: userId } };
    },
    async onUploadFinish(req, upload) {
      const userId = callerOf(req as never);
      const path = join(deps.directory, upload.id);
      const scratch = await scratchDirectory();
      try {
        const { size, sha256 } = await hashFile(path);
        const media = await deps.service.store(userId, {
          path,
          scratch: scratch.path,
          size,
          sha256,
          name: cleanFileName(upload.metadata?.filename ?? undefined),
          declaredMime: upload.metadata?.filetype ?? undefined,
        });
        return { status_code: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(media) };
      } catch (error) {
        throw failure(error instanceof KaifError ? error : new KaifError('INTERNAL'));
      } finally {
        await scratch.remove();
        await datastore.remove(upload.id).catch(() => undefined);
      }
    },
  });
  return tus;
}
