import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Logger } from '../logging/logger.js';
import type { DependencyPolicy } from '../resilience/dependency-policy.js';
import { type BlobStore, type ByteRange, assertBlobKey, assertBlobPrefix } from './blob-store.js';

export interface S3BlobStoreOptions {
  /** The endpoint, e.g. http://127.0.0.1:9000; addressed path-style (`/bucket/key`), which every S3-compatible server understands. */
  readonly url: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly policy: DependencyPolicy;
  readonly logger: Logger;
  /** Keys per ListObjects page (S3's most, 1000, unless a test wants to see several pages). */
  readonly listPageSize?: number;
}

/** A socket idle this long is a stalled transfer; a transfer that keeps moving may take as long as it needs. */
const IDLE_SOCKET_MS = 30_000;

/** A missing key is an answer, not an outage: resolved inside the policy, so it neither retries nor trips the breaker. */
const nullIfMissing = (error: unknown): null => {
  if (notFound(error)) return null;
  throw error;
};

const notFound = (error: unknown) =>
  error instanceof S3ServiceException && (error.$metadata.httpStatusCode === 404 || error.name === 'NoSuchKey' || error.name === 'NotFound');

/**
 * S3-compatible object storage for the scale-out shape: every node reads
 * what any node wrote. Creates the bucket at start when it is missing.
 * Every call goes through the `s3` dependency policy; uploads are not
 * retried (their body is a stream, consumed once) and are not cut short by
 * the per-call timeout, since a large object may take longer — an idle
 * socket is what ends a stalled one.
 */
/**
 * The policy aborts its signal once a call returns, but a GetObject's body
 * streams on after the call answered: the timeout may cut the wait for the
 * answer, never the download that follows it.
 */
function sendUntilAnswered<T>(policySignal: AbortSignal, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const request = new AbortController();
  const abort = () => request.abort();
  policySignal.addEventListener('abort', abort, { once: true });
  return send(request.signal).finally(() => policySignal.removeEventListener('abort', abort));
}

export async function openS3BlobStore(options: S3BlobStoreOptions): Promise<BlobStore> {
  const client = new S3Client({
    endpoint: options.url,
    region: options.region,
    forcePathStyle: true,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    // Checksums in aws-chunked trailers are recent; several S3-compatible servers do not speak them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: IDLE_SOCKET_MS }),
  });
  const { bucket, policy } = options;
  const call = <T>(command: (signal: AbortSignal) => Promise<T>, idempotent = true) => policy.execute(command, { idempotent });

  let found: unknown;
  try {
    found = await call((abortSignal) => client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal }).catch(nullIfMissing));
  } catch (error) {
    client.destroy();
    throw error;
  }
  if (found === null) {
    await call((abortSignal) => client.send(new CreateBucketCommand({ Bucket: bucket }), { abortSignal }));
    options.logger.info({ bucket }, 'created the S3 bucket');
  }

  return {
    kind: 's3',
    name: 'blobs',
    essential: false,
    async check() {
      await call((abortSignal) => client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal }));
      return { status: 'up', detail: 's3' };
    },
    async put(key, body, size, contentType) {
      assertBlobKey(key);
      // The SDK waits forever on a request body that fails midway: end the request with it.
      const request = new AbortController();
      const abort = (error: Error) => request.abort(error);
      body.once('error', abort);
      try {
        await policy.execute(
          () =>
            client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: size, ContentType: contentType }), {
              abortSignal: request.signal,
            }),
          { untimed: true },
        );
      } finally {
        body.off('error', abort);
      }
    },
    async get(key, range?: ByteRange) {
      assertBlobKey(key);
      const command = new GetObjectCommand({ Bucket: bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) });
      const answer = await call((signal) => sendUntilAnswered(signal, (abortSignal) => client.send(command, { abortSignal })).catch(nullIfMissing));
      return (answer?.Body as Readable | undefined) ?? null;
    },
    async stat(key) {
      assertBlobKey(key);
      const head = await call((abortSignal) => client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal }).catch(nullIfMissing));
      return head ? { size: head.ContentLength ?? 0 } : null;
    },
    async delete(key) {
      assertBlobKey(key);
      await call((abortSignal) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal }));
    },
    async *list(prefix) {
      assertBlobPrefix(prefix);
      // ListObjects (v1), each page following on from the last key (Marker): every S3-compatible server
      // speaks it, while s3rver's v2 continuation tokens need DES, which OpenSSL 3 no longer offers.
      let after: string | undefined;
      for (;;) {
        const page = await call((abortSignal) =>
          client.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, MaxKeys: options.listPageSize ?? 1000, ...(after ? { Marker: after } : {}) }), { abortSignal }),
        );
        const objects = page.Contents ?? [];
        for (const object of objects) {
          if (object.Key) yield { key: object.Key, size: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0) };
        }
        const last = objects.at(-1)?.Key;
        if (!page.IsTruncated || !last) return;
        after = last;
      }
    },
    async close() {
      client.destroy();
    },
  };
}
