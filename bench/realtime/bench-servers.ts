import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const HERE = import.meta.dirname;
const KAIF_BIN = join(HERE, '../../packages/server/bin/kaif.js');

export interface BenchServer {
  readonly child: ChildProcess;
  readonly url: string;
  /** Kaif's data directory, to start it again on the same data. */
  readonly dataDir?: string;
}

/** Resident memory of a process and all its descendants (cluster workers included). */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  const own = match ? Number(match[1]) * 1024 : 0;
  return own + childrenOf(pid).reduce((sum, child) => sum + rssBytes(child), 0);
}

/** A process and all its descendants (Linux). */
export function processTree(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(processTree)];
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/**
 * Where `--scale` runs Kaif: the scale-out shape, PostgreSQL (a scratch
 * database), NATS and Redis, with one worker process per core sharing the
 * port. URLs from BENCH_DATABASE_URL, BENCH_NATS_URL, BENCH_REDIS_URL.
 */
export interface ScaleEngines {
  readonly env: Readonly<Record<string, string>>;
  drop(): Promise<void>;
}

export async function scaleEngines(workers: number): Promise<ScaleEngines> {
  const base = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `kaif_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    env: {
      DATABASE_URL: url.toString(),
      NATS_URL: process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222',
      REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
      KAIF_REDIS_PREFIX: `${name}:`,
      // Every worker on the shared database must open what the others seal.
      KAIF_SECRET_KEY: `bench:${Buffer.alloc(32, 3).toString('base64')}`,
      KAIF_WORKERS: String(workers),
    },
    async drop() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

function waitForLine(child: ChildProcess, pick: (line: string) => string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let found = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      if (found) return;
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const value = pick(line);
        if (value !== undefined) {
          found = true;
          resolve(value);
          return;
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
}

/** `kaif start` on embedded defaults in a fresh data directory (or `dataDir`): the one-process shape. */
export async function startKaif(scale?: ScaleEngines, dataDir?: string): Promise<BenchServer> {
  dataDir ??= await mkdtemp(join(tmpdir(), 'kaif-bench-'));
  const child = spawn(process.execPath, [KAIF_BIN, 'start'], {
    env: {
      ...process.env,
      KAIF_DATA_DIR: dataDir,
      PORT: '0',
      TCP_PORT: '0',
      UDP_PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      KAIF_WORKERS: '1',
      KAIF_RATE_LIMIT_PER_MINUTE: '10000000',
      KAIF_TRUST_PROXY: 'true',
      DATABASE_URL: '',
      REDIS_URL: '',
      NATS_URL: '',
      ...scale?.env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await waitForLine(child, (line) =>
    line.includes('"kaif started"') ? String((JSON.parse(line) as { ports: { http: number } }).ports.http) : undefined,
  );
  return { child, url: `http://127.0.0.1:${port}`, dataDir };
}

export async function startBaseline(kind: 'ws' | 'socketio'): Promise<BenchServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(HERE, 'baseline-server.ts'), kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await waitForLine(child, (line) => (line.startsWith('{"port"') ? String((JSON.parse(line) as { port: number }).port) : undefined));
  return { child, url: `http://127.0.0.1:${port}` };
}

export async function stopServer(server: BenchServer): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
