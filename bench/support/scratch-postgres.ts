import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Runs `work` against a fresh database created on the server at `url`, dropped afterwards. */
export async function withScratchPostgres<T>(url: string, work: (scratchUrl: string) => Promise<T>): Promise<T> {
  const name = `kaif_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  try {
    return await work(scratch.toString());
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}
