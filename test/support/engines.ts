import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Which real engines the tests may use. Each is opt-in through an environment
 * variable; KAIF_TEST_REQUIRE_SERVICES=1 (CI) turns a missing one into a
 * failure instead of a skip.
 */
export const ENGINE_URLS = {
  postgres: process.env.KAIF_TEST_DATABASE_URL || undefined,
  redis: process.env.KAIF_TEST_REDIS_URL || undefined,
  nats: process.env.KAIF_TEST_NATS_URL || undefined,
} as const;

export const REQUIRE_SERVICES = process.env.KAIF_TEST_REQUIRE_SERVICES === '1';

export type EngineName = keyof typeof ENGINE_URLS;

/** True when the engine is configured; throws when it is required and missing. */
export function engineAvailable(engine: EngineName): boolean {
  if (ENGINE_URLS[engine]) return true;
  if (REQUIRE_SERVICES) {
    throw new Error(`KAIF_TEST_REQUIRE_SERVICES=1 but the ${engine} URL (KAIF_TEST_${engine === 'postgres' ? 'DATABASE' : engine.toUpperCase()}_URL) is not set`);
  }
  return false;
}

export interface ScratchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** A fresh, empty PostgreSQL database for one test file, dropped afterwards. */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const baseUrl = ENGINE_URLS.postgres;
  if (!baseUrl) throw new Error('KAIF_TEST_DATABASE_URL is not set');
  const name = `kaif_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A key prefix so test files sharing one Redis never see each other's keys. */
export function scratchPrefix(): string {
  return `kaif-test-${randomBytes(4).toString('hex')}:`;
}
