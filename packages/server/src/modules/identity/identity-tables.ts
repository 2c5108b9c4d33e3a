import { type Generated, type Kysely, type Migration, sql } from 'kysely';
import type { ModuleMigrations } from '../../platform/db/database.js';
import { createPeopleSearchIndex } from './accounts/people-search-index.js';
import type { PresenceVisibility } from '@kaif/protocol';
import type { GlobalRole } from '../../platform/http/principal.js';

export interface UsersTable {
  id: string;
  username: string;
  /** lower(username), generated: the case-insensitive unique key. */
  username_key: Generated<string>;
  /** Null for an account made by a provider sign-in without a verified, unused address. */
  email: string | null;
  email_key: Generated<string | null>;
  display_name: string;
  role: GlobalRole;
  /** Null for an account that signs in only through providers. */
  password_hash: string | null;
  disabled_at: Date | null;
  created_at: Generated<Date>;
  presence_visibility: Generated<PresenceVisibility>;
}

/** One row at most: the hash of the code printed at first start, spent by the account it made admin. */
export interface AdminBootstrapTable {
  singleton: Generated<boolean>;
  code_hash: string;
  created_at: Generated<Date>;
  used_at: Date | null;
  used_by: string | null;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  client_name: string;
  ip: string;
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

/** One row per refresh token ever issued; the session is the token family. */
export interface RefreshTokensTable {
  token_hash: string;
  session_id: string;
  created_at: Generated<Date>;
  expires_at: Date;
  used_at: Date | null;
}

export interface SigningKeysTable {
  kid: string;
  public_jwk: string;
  /** PKCS#8 PEM sealed by ctx.secrets with AAD = kid. */
  private_key_sealed: string;
  created_at: Generated<Date>;
  /** When it stopped signing; it still verifies for one token lifetime after. */
  retired_at: Date | null;
}

export interface TwoFactorTable {
  user_id: string;
  /** Sealed with AAD = user id; set by setup, cleared by enable. */
  pending_secret_sealed: string | null;
  secret_sealed: string | null;
  enabled_at: Date | null;
  /** The last TOTP time-step accepted: each step works once (RFC 6238 §5.2). */
  last_used_step: number | null;
}

export interface RecoveryCodesTable {
  user_id: string;
  code_hash: string;
  used_at: Date | null;
}

/** A provider account linked to a user: (provider, subject) signs in as that user. */
export interface ExternalIdentitiesTable {
  provider: string;
  subject: string;
  user_id: string;
  /** What the provider said at linking, for the settings screen; never used to find an account. */
  email: string | null;
  linked_at: Generated<Date>;
}

/** A provider sign-in in progress, keyed by the hash of the browser's flow cookie. */
export interface SignInFlowsTable {
  flow_hash: string;
  provider: string;
  link_user_id: string | null;
  expires_at: Date;
}

/** One-time codes from the provider callback to the web client, stored hashed. */
export interface SignInCodesTable {
  code_hash: string;
  user_id: string;
  expires_at: Date;
  used_at: Date | null;
}

export interface IdentityTables {
  'identity.users': UsersTable;
  'identity.admin_bootstrap': AdminBootstrapTable;
  'identity.sessions': SessionsTable;
  'identity.refresh_tokens': RefreshTokensTable;
  'identity.signing_keys': SigningKeysTable;
  'identity.two_factor': TwoFactorTable;
  'identity.recovery_codes': RecoveryCodesTable;
  'identity.external_identities': ExternalIdentitiesTable;
  'identity.sign_in_flows': SignInFlowsTable;
  'identity.sign_in_codes': SignInCodesTable;
}

export type IdentityDb = Kysely<IdentityTables>;

const createIdentity: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table identity.users (
        id uuid primary key,
        username text not null,
        username_key text generated always as (lower(username)) stored unique,
        email text not null,
        email_key text generated always as (lower(email)) stored unique,
        display_name text not null,
        role text not null check (role in ('user', 'admin')),
        password_hash text not null,
        disabled_at timestamptz,
        created_at timestamptz not null default now()
      )`.execute(db);
    await sql`create index users_username_prefix on identity.users (username_key text_pattern_ops)`.execute(db);
    await sql`
      create table identity.first_admin (
        singleton boolean primary key default true check (singleton),
        user_id uuid not null references identity.users (id)
      )`.execute(db);
    await sql`
      create table identity.sessions (
        id uuid primary key,
        user_id uuid not null references identity.users (id),
        client_name text not null,
        ip text not null,
        created_at timestamptz not null default now(),
        last_seen_at timestamptz not null default now(),
        revoked_at timestamptz,
        revoked_reason text
      )`.execute(db);
    await sql`create index sessions_live_by_user on identity.sessions (user_id) where revoked_at is null`.execute(db);
    await sql`
      create table identity.refresh_tokens (
        token_hash text primary key,
        session_id uuid not null references identity.sessions (id),
        created_at timestamptz not null default now(),
        expires_at timestamptz not null,
        used_at timestamptz
      )`.execute(db);
    await sql`create index refresh_tokens_by_session on identity.refresh_tokens (session_id)`.execute(db);
    await sql`
      create table identity.signing_keys (
        kid text primary key,
        public_jwk text not null,
        private_key_sealed text not null,
        created_at timestamptz not null default now(),
        retired_at timestamptz
      )`.execute(db);
    await sql`
      create table identity.two_factor (
        user_id uuid primary key references identity.users (id),
        pending_secret_sealed text,
        secret_sealed text,
        enabled_at timestamptz,
        last_used_step bigint
      )`.execute(db);
    await sql`
      create table identity.recovery_codes (
        user_id uuid not null references identity.users (id),
        code_hash text not null,
        used_at timestamptz,
        primary key (user_id, code_hash)
      )`.execute(db);
  },
};

/** Presence was readable by any user about any user: contacts only by default now. */
const addPresenceVisibility: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      alter table identity.users
        add column presence_visibility text not null default 'contacts'
          check (presence_visibility in ('everybody', 'contacts', 'nobody'))`.execute(db);
  },
};

// The first registration no longer becomes admin (anyone reaching a new
// server first would claim it): a one-time code printed at first start does.
const adminBootstrap: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`drop table identity.first_admin`.execute(db);
    await sql`
      create table identity.admin_bootstrap (
        singleton boolean primary key default true check (singleton),
        code_hash text not null,
        created_at timestamptz not null default now(),
        used_at timestamptz,
        used_by uuid references identity.users (id)
      )`.execute(db);
  },
};

// Sign-in with other providers: accounts may have no password and no email.
const externalIdentities: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table identity.users alter column password_hash drop not null`.execute(db);
    await sql`alter table identity.users alter column email drop not null`.execute(db);
    await sql`
      create table identity.external_identities (
        provider text not null,
        subject text not null,
        user_id uuid not null references identity.users (id),
        email text,
        linked_at timestamptz not null default now(),
        primary key (provider, subject),
        unique (user_id, provider)
      )`.execute(db);
    await sql`
      create table identity.sign_in_flows (
        flow_hash text primary key,
        provider text not null,
        link_user_id uuid references identity.users (id),
        expires_at timestamptz not null
      )`.execute(db);
    await sql`
      create table identity.sign_in_codes (
        code_hash text primary key,
        user_id uuid not null references identity.users (id),
        expires_at timestamptz not null,
        used_at timestamptz
      )`.execute(db);
  },
};

export const identityMigrations: ModuleMigrations = {
  schema: 'identity',
  migrations: {
    '0001_identity': createIdentity,
    '0002_presence_visibility': addPresenceVisibility,
    '0003_admin_bootstrap': adminBootstrap,
    '0004_external_identities': externalIdentities,
    '0005_people_search': createPeopleSearchIndex,
  },
};
