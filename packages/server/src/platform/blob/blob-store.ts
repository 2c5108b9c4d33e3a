import type { Readable } from 'node:stream';
import type { HealthCheck } from '../health/health.js';

export type BlobKind = 'disk' | 's3';

/** Inclusive byte range, as in an HTTP `Range: bytes=start-end` (RFC 9110 §14.1.2). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export interface BlobEntry {
  readonly key: string;
  readonly size: number;
  /** When the object was written (disk: its mtime; S3: LastModified). */
  readonly modifiedAt: Date;
}

/**
 * Immutable objects by key: media originals, thumbnails, posters.
 *
 * Guarantees: `put` is all or nothing — a reader sees either no object or
 * the whole one, never a partial write (disk: write a temporary file, then
 * rename; S3: one PutObject). Bodies are streams both ways, so a large
 * object never sits whole in memory. `get` and `stat` answer null for a key
 * that is not there; `delete` of a missing key is not an error. Keys are
 * `[a-z0-9/_.-]`, chosen by the server, never by a client.
 */
export interface BlobStore extends HealthCheck {
  readonly kind: BlobKind;
  /** Stores `body` (exactly `size` bytes) under `key`, replacing any earlier object. */
  put(key: string, body: Readable, size: number, contentType: string): Promise<void>;
  /** The object's bytes, or only `range` of them; null if there is no such object. */
  get(key: string, range?: ByteRange): Promise<Readable | null>;
  stat(key: string): Promise<{ readonly size: number } | null>;
  delete(key: string): Promise<void>;
  /**
   * Every object whose key starts with `prefix`, in no particular order,
   * with its size and when it was written: for a cleanup that finds objects
   * nothing names (a blob written just before a crash, before its database
   * row committed). Streams page by page; never the whole listing at once.
   * An object written or deleted during the listing may or may not appear.
   */
  list(prefix: string): AsyncIterable<BlobEntry>;
  close(): Promise<void>;
}

/** A listing prefix: a key's beginning, empty for everything. */
export function assertBlobPrefix(prefix: string): void {
  if (prefix !== '' && !/^[a-z0-9][a-z0-9/_.-]{0,255}$/.test(prefix)) throw new Error(`invalid blob prefix ${JSON.stringify(prefix)}`);
  if (prefix.split('/').some((part) => part === '.' || part === '..')) throw new Error(`invalid blob prefix ${JSON.stringify(prefix)}`);
}

const KEY = /^[a-z0-9][a-z0-9/_.-]{0,255}$/;

/** Refuses keys that could escape the store's root (`..`) or that S3 and a disk would read differently. */
export function assertBlobKey(key: string): void {
  if (!KEY.test(key) || key.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new Error(`invalid blob key ${JSON.stringify(key)}`);
  }
}
