import { type Kysely, type Migration, sql } from 'kysely';
import type { ModuleMigrations } from '../../platform/db/database.js';
import type { ChatEventType, ChatRole, ChatType } from './api.js';
import { createAppendBatchFunction } from './append-batch-function.js';
import { type FeedCursorBasesTable, chainFeedCursorBases, createFeedCursorBases } from './cursor-bases.js';
import { createMessageSearchIndex } from './search-index.js';
import { addMessageMedia } from './message-media-migration.js';
import { createOpenBatchFunction } from './open-batch-function.js';

export interface ChatsTable {
  id: string;
  type: ChatType;
  title: string | null;
  description: string | null;
  /** Direct chats: the two members, ordered, unique as a pair. */
  direct_low: string | null;
  direct_high: string | null;
  member_count: number;
  /** The seq of the chat's latest event; the row lock that assigns seqs. */
  last_seq: number;
  /** The seq of the latest event every member sees (channels follow it). */
  last_broadcast_seq: number;
  created_by: string;
  created_at: Date;
  /** Secret chats: the MLS epoch the next commit must be built on; null in other chats. */
  mls_epoch: number | null;
}

export interface MembersTable {
  chat_id: string;
  user_id: string;
  role: ChatRole;
  /** Read marker: only moves forward. */
  read_seq: number;
  joined_at: Date;
}

export interface MessagesTable {
  id: string;
  chat_id: string;
  /** The seq of this message's message.new event. */
  seq: number;
  sender_id: string;
  client_msg_id: string;
  /** Null once deleted: the text is gone from storage. */
  text: string | null;
  reply_to_id: string | null;
  forwarded_from: unknown;
  /** The media views the message carries (API.md `media`); null when none or deleted. */
  media: unknown;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
}

export interface ChatEventsTable {
  chat_id: string;
  seq: number;
  type: ChatEventType;
  payload: unknown;
  /** Set for events only one user sees (their read marker, their channel membership). */
  only_for: string | null;
  message_id: string | null;
  created_at: Date;
}

export interface UserStateTable {
  user_id: string;
  /** The user's feed position: one more for every event fanned out to them. */
  pts: number;
}

export interface UserFeedTable {
  user_id: string;
  pts: number;
  chat_id: string;
  seq: number;
}

/** A secret chat's message: the MLS message the server relays and cannot open (its `messages` row has no text). */
export interface SecretMessagesTable {
  message_id: string;
  chat_id: string;
  kind: 'application' | 'commit' | 'proposal';
  epoch: number;
  ciphertext: string;
}

/** An MLS Welcome waiting for the one device it is for (see secret-welcomes.ts). */
export interface SecretWelcomesTable {
  id: string;
  chat_id: string;
  user_id: string;
  device_id: string;
  /** The seq of the commit that added the device. */
  seq: number;
  epoch: number;
  welcome: string;
  created_at: Date;
}

/** A `transfer` message's payload, beside its message row (which has no text). */
export interface TransferMessagesTable {
  message_id: string;
  chat_id: string;
  transfer: unknown;
}

export interface MessagingTables {
  'messaging.chats': ChatsTable;
  'messaging.members': MembersTable;
  'messaging.messages': MessagesTable;
  'messaging.chat_events': ChatEventsTable;
  'messaging.user_state': UserStateTable;
  'messaging.user_feed': UserFeedTable;
  'messaging.secret_messages': SecretMessagesTable;
  'messaging.secret_welcomes': SecretWelcomesTable;
  'messaging.transfer_messages': TransferMessagesTable;
  'messaging.feed_cursor_bases': FeedCursorBasesTable;
}

const createChatsAndLog: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table messaging.chats (
        id uuid primary key,
        type text not null check (type in ('direct', 'group', 'channel')),
        title text,
        description text,
        direct_low text,
        direct_high text,
        member_count integer not null default 0,
        last_seq bigint not null default 0,
        last_broadcast_seq bigint not null default 0,
        created_by text not null,
        created_at timestamptz not null,
        unique (direct_low, direct_high),
        check ((type = 'direct') = (direct_low is not null and direct_high is not null))
      )`.execute(db);
    await sql`
      create table messaging.members (
        chat_id uuid not null references messaging.chats (id),
        user_id text not null,
        role text not null check (role in ('owner', 'admin', 'member')),
        read_seq bigint not null default 0,
        joined_at timestamptz not null,
        primary key (chat_id, user_id)
      )`.execute(db);
    await sql`create index members_by_user on messaging.members (user_id, chat_id)`.execute(db);
    await sql`
      create table messaging.messages (
        id uuid primary key,
        chat_id uuid not null references messaging.chats (id),
        seq bigint not null,
        sender_id text not null,
        client_msg_id text not null,
        text text,
        reply_to_id uuid,
        forwarded_from jsonb,
        created_at timestamptz not null,
        edited_at timestamptz,
        deleted_at timestamptz,
        unique (chat_id, seq),
        unique (chat_id, sender_id, client_msg_id)
      )`.execute(db);
    await sql`
      create table messaging.chat_events (
        chat_id uuid not null references messaging.chats (id),
        seq bigint not null,
        type text not null,
        payload jsonb not null,
        only_for text,
        message_id uuid,
        created_at timestamptz not null,
        primary key (chat_id, seq)
      )`.execute(db);
    await sql`create index chat_events_by_message on messaging.chat_events (message_id) where message_id is not null`.execute(db);
    await sql`
      create table messaging.user_state (
        user_id text primary key,
        pts bigint not null default 0
      )`.execute(db);
    await sql`
      create table messaging.user_feed (
        user_id text not null,
        pts bigint not null,
        chat_id uuid not null,
        seq bigint not null,
        primary key (user_id, pts)
      )`.execute(db);
  },
};

/**
 * Secret chats (MLS): a fourth chat type, the epoch its next commit must be
 * built on (checked and moved under the chat lock), the ciphertext of its
 * messages beside their rows, and the Welcome inbox of joining devices.
 */
const createSecretChats: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table messaging.chats drop constraint chats_type_check`.execute(db);
    await sql`alter table messaging.chats add constraint chats_type_check check (type in ('direct', 'group', 'channel', 'secret'))`.execute(db);
    await sql`alter table messaging.chats add column mls_epoch bigint`.execute(db);
    await sql`
      create table messaging.secret_messages (
        message_id uuid primary key references messaging.messages (id),
        chat_id uuid not null,
        kind text not null check (kind in ('application', 'commit', 'proposal')),
        epoch bigint not null,
        ciphertext text not null
      )`.execute(db);
    await sql`
      create table messaging.secret_welcomes (
        id uuid primary key,
        chat_id uuid not null references messaging.chats (id),
        user_id text not null,
        device_id text not null,
        seq bigint not null,
        epoch bigint not null,
        welcome text not null,
        created_at timestamptz not null
      )`.execute(db);
    await sql`create index secret_welcomes_by_device on messaging.secret_welcomes (device_id, created_at)`.execute(db);
  },
};

/** Messages of kind `transfer`: the wallet transfer each shows, joined into history like a secret message's ciphertext. */
const createTransferMessages: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table messaging.transfer_messages (
        message_id uuid primary key references messaging.messages (id),
        chat_id uuid not null,
        transfer jsonb not null
      )`.execute(db);
  },
};

export const messagingMigrations: ModuleMigrations = {
  schema: 'messaging',
  migrations: {
    '0001_chats_and_log': createChatsAndLog,
    '0002_append_batch': createAppendBatchFunction,
    '0003_message_search': createMessageSearchIndex,
    '0004_message_media': addMessageMedia,
    '0005_secret_chats': createSecretChats,
    '0006_transfer_messages': createTransferMessages,
    '0007_open_batch': createOpenBatchFunction,
    '0008_feed_cursor_bases': createFeedCursorBases,
    '0009_feed_cursor_base_chains': chainFeedCursorBases,
  },
};
