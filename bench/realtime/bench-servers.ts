import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HERE = import.meta.dirname;
const KAIF_BIN = join(HERE, '../../packages/server/bin/kaif.js');

export interface BenchServer {
  readonly child: ChildProcess;
  readonly url: string;
}

/** Resident memory of a process, in bytes (Linux). */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
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

/** `kaif start` on embedded defaults in a fresh data directory: the one-process shape. */
export async function startKaif(): Promise<BenchServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kaif-bench-'));
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
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await waitForLine(child, (line) =>
    line.includes('"kaif started"') ? String((JSON.parse(line) as { ports: { http: number } }).ports.http) : undefined,
  );
  return { child, url: `http://127.0.0.1:${port}` };
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
