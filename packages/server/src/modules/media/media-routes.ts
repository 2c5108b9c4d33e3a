import { join } from 'node:path';
import multipart from '@fastify/multipart';
import { MediaParams, MediaSchema, type UserId } from '@kaif/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BlobStore } from '../../platform/blob/blob-store.js';
import type { HttpServer } from '../../platform/http/http-server.js';
import { KaifError } from '../../platform/http/kaif-error.js';
import { principalOf } from '../../platform/http/principal.js';
import { parseRange } from './byte-range.js';
import type { MediaLinks } from './media-links.js';
import { MediaProcessing, type MediaPart, type MediaService, mediaView } from './media-service.js';
import type { UploadBudget } from './upload-budget.js';
import { cleanFileName, scratchDirectory, writeUpload } from './upload-file.js';

const TAGS = ['media'];
const BEARER = [{ bearer: [] }];
/** Room for the multipart envelope around the file (boundaries, part headers). */
const MULTIPART_OVERHEAD = 16 * 1024;
/** Media never changes under its id: cache for a year, privately (it needs the token). */
const CACHE_CONTROL = 'private, max-age=31536000, immutable';

/** How long a reader of media still being processed waits before asking again: a photo takes about a second. */
const RETRY_AFTER_SECONDS = 1;

const LinkAnswer = Type.Object({ url: Type.String(), thumbnailUrl: Type.Optional(Type.String()), expiresAt: Type.String() });
const LinkQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 2048 })) });

const ErrorBody = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) });

export interface MediaRouteDeps {
  readonly service: MediaService;
  readonly links: MediaLinks;
  readonly blobs: BlobStore;
  readonly budget: UploadBudget;
  readonly maxBytes: number;
}

/** POST /api/v1/media (multipart) and the reads of media and thumbnails. */
export async function registerMediaRoutes(http: HttpServer, deps: MediaRouteDeps): Promise<void> {
  // Multipart parsing only where uploads arrive: every other route keeps JSON only.
  await http.register(async (scope) => {
    await scope.register(multipart, { throwFileSizeLimit: false });
    scope.post(
      '/api/v1/media',
      {
        schema: {
          tags: TAGS,
          security: BEARER,
          summary: 'Upload one file as multipart/form-data, field "file"; its type comes from its bytes. Too large: 413 PAYLOAD_TOO_LARGE; not what it claims or undecodable: 422 MEDIA_REJECTED',
          consumes: ['multipart/form-data'],
          response: { 201: MediaSchema, 413: ErrorBody, 422: ErrorBody },
        },
      },
      async (request, reply) => {
        const { userId } = principalOf(request);
        if (!request.isMultipart()) throw new KaifError('UNSUPPORTED_MEDIA_TYPE', 'Send the file as multipart/form-data in the field "file"');
        const declaredLength = Number(request.headers['content-length']);
        // Refused from the headers alone: nothing of the body is stored.
        if (Number.isFinite(declaredLength) && declaredLength > deps.maxBytes + MULTIPART_OVERHEAD) throw tooLarge();
        await deps.budget.consume(userId);
        const part = await request.file({ limits: { fileSize: deps.maxBytes, files: 1, fields: 0, parts: 1 } });
        if (part?.fieldname !== 'file') throw new KaifError('VALIDATION_FAILED', 'file is required (multipart field "file")', { field: 'file' });
        const scratch = await scratchDirectory();
        try {
          const path = join(scratch.path, 'upload');
          const written = await writeUpload(part.file, path);
          // Busboy truncates a file past the limit instead of failing it.
          if (part.file.truncated) throw tooLarge();
          const media = await deps.service.store(userId, {
            path,
            scratch: scratch.path,
            size: written.size,
            sha256: written.sha256,
            name: cleanFileName(part.filename),
            declaredMime: part.mimetype,
          });
          return reply.status(201).send(media);
        } finally {
          await scratch.remove();
        }
      },
    );
  });

  http.post(
    '/api/v1/media/:id/link',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'Short-lived links (1 h) to the media and its thumbnail that need no token: for <video src>, a download, or a CDN',
        params: MediaParams,
        response: { 200: LinkAnswer },
      },
    },
    async (request) => {
      const { userId } = principalOf(request);
      const row = await deps.service.accessible(userId, request.params.id);
      const original = deps.links.issue(row.id, 'original', userId);
      const thumbnail = row.thumbnail_key ? deps.links.issue(row.id, 'thumbnail', userId) : null;
      return {
        url: `/api/v1/media/${row.id}?token=${original.token}`,
        ...(thumbnail ? { thumbnailUrl: `/api/v1/media/${row.id}/thumbnail?token=${thumbnail.token}` } : {}),
        expiresAt: original.expiresAt.toISOString(),
      };
    },
  );

  http.get(
    '/api/v1/media/:id/info',
    {
      schema: {
        tags: TAGS,
        security: BEARER,
        summary: 'The media record as it is now, with its status (processing, rejected; absent when ready): what a client polls after an upload',
        params: MediaParams,
        response: { 200: MediaSchema },
      },
    },
    async (request, reply) => {
      const row = await deps.service.accessible(principalOf(request).userId, request.params.id);
      return reply.header('cache-control', 'no-store').send(mediaView(row));
    },
  );

  for (const part of ['original', 'thumbnail'] as const) {
    http.get(
      part === 'original' ? '/api/v1/media/:id' : '/api/v1/media/:id/thumbnail',
      {
        schema: {
          tags: TAGS,
          security: BEARER,
          summary:
            part === 'original'
              ? 'The media’s bytes (Range requests honoured; strong ETag); only its uploader and members of a chat it was sent in, else 404 MEDIA_NOT_FOUND. A photo still being processed: 202 with Retry-After and the media record; refused by the worker: 422 MEDIA_REJECTED'
              : 'The media’s WebP thumbnail, with the same access rule; 202 with Retry-After while it is being made',
          params: MediaParams,
          querystring: LinkQuery,
        },
      },
      (request, reply) => {
        // A signed link stands in for the token; without either, the caller is signed out.
        const token = request.query.token;
        const reader = request.principal?.userId ?? (token ? deps.links.reader(token, request.params.id, part) : null);
        if (token && !reader) throw new KaifError('MEDIA_NOT_FOUND');
        // A global admin reading with their own token (not a link) may see what other modules show admins (a listing awaiting moderation).
        const admin = request.principal?.role === 'admin';
        return sendMedia(request.params.id, reader ?? principalOf(request).userId, request, reply, deps, part, admin);
      },
    );
  }
}

const tooLarge = () => new KaifError('PAYLOAD_TOO_LARGE', 'The file is larger than this server takes');

async function sendMedia(id: string, reader: UserId, request: FastifyRequest, reply: FastifyReply, deps: MediaRouteDeps, part: MediaPart, admin: boolean): Promise<FastifyReply> {
  const media = await deps.service.readable(reader, id, part, admin);
  if (media instanceof MediaProcessing) {
    // Not made yet (a photo being cleaned, a poster being drawn): not "gone", so not 404 — the media record, and when to ask again.
    return reply.status(202).header('retry-after', String(RETRY_AFTER_SECONDS)).header('cache-control', 'no-store').send(mediaView(media.row));
  }
  reply
    .header('etag', media.etag)
    .header('cache-control', CACHE_CONTROL)
    .header('accept-ranges', 'bytes')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('content-disposition', `${media.row.kind === 'file' && part === 'original' ? 'attachment' : 'inline'}; filename*=UTF-8''${encodeURIComponent(part === 'original' ? media.row.name : 'thumbnail.webp')}`);
  if (matches(request.headers['if-none-match'], media.etag)) return reply.status(304).send();
  const ifRange = request.headers['if-range'];
  const answer = parseRange(ifRange === undefined || ifRange === media.etag ? request.headers.range : undefined, media.size);
  if (answer.kind === 'unsatisfiable') {
    reply.header('content-range', `bytes */${media.size}`);
    throw new KaifError('RANGE_NOT_SATISFIABLE');
  }
  const range = answer.kind === 'partial' ? answer.range : undefined;
  const body = await deps.blobs.get(media.key, range);
  if (!body) throw new KaifError('MEDIA_NOT_FOUND');
  // Files are served as bytes to save: a browser must never run an uploaded page or script.
  reply.type(media.row.kind === 'file' && part === 'original' ? 'application/octet-stream' : media.mime);
  if (range) {
    return reply
      .status(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${media.size}`)
      .header('content-length', String(range.end - range.start + 1))
      .send(body);
  }
  return reply.status(200).header('content-length', String(media.size)).send(body);
}

/** If-None-Match: `*` or a list of entity tags (RFC 9110 §13.1.2). */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

