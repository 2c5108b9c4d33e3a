import { type Kysely, type Migration, sql } from 'kysely';
import type { MediaKind, MediaStatus } from '@kaif/protocol';
import type { ModuleMigrations } from '../../platform/db/database.js';

export interface MediaTable {
  id: string;
  owner_id: string;
  kind: MediaKind;
  /** What the bytes are (detected), never what the client declared. */
  mime: string;
  /** Bytes of the stored original. */
  size: number;
  /** The client's file name, for display and downloads only. */
  name: string;
  width: number | null;
  height: number | null;
  duration_ms: number | null;
  /** SHA-256 of the stored original, hex: the strong ETag. */
  sha256: string;
  /** Blob keys of the original and the thumbnail (null: none). */
  blob_key: string;
  thumbnail_key: string | null;
  /** A tiny blurred WebP as a data: URI. */
  placeholder: string | null;
  created_at: Date;
  /** When the cleanup last found it in a message; null: never checked. */
  checked_at: Date | null;
  /** Bytes counted against the owner's quota (original and thumbnail): what deleting it gives back. */
  charged_bytes: number;
  /** Voice notes: 64 loudness values from 0 to 31. */
  waveform: number[] | null;
  /**
   * `processing` until the worker's job is done: a photo's upload waits, uncleaned, under `uploadKey(id)`
   * and is served to nobody; a video waits for its poster. `rejected`: the worker could not decode it,
   * its bytes are deleted.
   */
  status: MediaStatus;
}

export interface UsageTable {
  user_id: string;
  /** Bytes of every stored original and thumbnail of the user. */
  bytes: number;
}

/** Work for the worker role: a photo's decode, clean re-encode and thumbnail, or a video's poster frame. A row is the job; it survives restarts. */
export interface JobsTable {
  media_id: string;
  attempts: number;
  /** Not before then (a retry waits). */
  run_after: Date;
  /** A worker holds the job until then; past it, another may take it (the first one died). */
  lease_until: Date | null;
  created_at: Date;
}

export interface MediaTables {
  'media.media': MediaTable;
  'media.usage': UsageTable;
  'media.jobs': JobsTable;
}

const createMedia: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table media.media (
        id uuid primary key,
        owner_id text not null,
        kind text not null check (kind in ('image', 'video', 'audio', 'file')),
        mime text not null,
        size bigint not null,
        name text not null,
        width integer,
        height integer,
        duration_ms integer,
        sha256 text not null,
        blob_key text not null,
        thumbnail_key text,
        placeholder text,
        created_at timestamptz not null
      )`.execute(db);
    await sql`create index media_by_owner on media.media (owner_id, created_at)`.execute(db);
    await sql`
      create table media.usage (
        user_id text primary key,
        bytes bigint not null check (bytes >= 0)
      )`.execute(db);
  },
};

const createJobs: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table media.jobs (
        media_id uuid primary key references media.media (id) on delete cascade,
        attempts integer not null default 0,
        run_after timestamptz not null,
        lease_until timestamptz,
        created_at timestamptz not null
      )`.execute(db);
    await sql`create index jobs_by_time on media.jobs (run_after)`.execute(db);
  },
};

/** For the cleanup of media no message carries: when each was last seen in use, and what it costs its owner. */
const addWaveform: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table media.media add column waveform smallint[]`.execute(db);
  },
};

const addCheckedAt: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table media.media add column checked_at timestamptz`.execute(db);
    await sql`alter table media.media add column charged_bytes bigint not null default 0`.execute(db);
    await sql`create index media_to_check on media.media (checked_at nulls first, created_at)`.execute(db);
  },
};

/** Photos are processed by the worker, after the upload has answered: a media is ready, processing or rejected. */
const addStatus: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table media.media add column status text not null default 'ready' check (status in ('processing', 'ready', 'rejected'))`.execute(db);
  },
};

export const mediaMigrations: ModuleMigrations = {
  schema: 'media',
  migrations: { '0001_media': createMedia, '0002_jobs': createJobs, '0003_checked_at': addCheckedAt, '0004_waveform': addWaveform, '0005_status': addStatus },
};
