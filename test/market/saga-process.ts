import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_SECRET_KEY } from '../support/test-server.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface Child {
  readonly url: string;
  /** Resolves with the signal that ended the process (SIGKILL for a crash point reached). */
  readonly exited: Promise<NodeJS.Signals | null>;
  kill(): Promise<void>;
}

/**
 * `test/market/saga-child.ts`: a server with every module, which SIGKILLs
 * itself when its saga reaches `crashAt` (see that file). Resolves once it
 * logged "kaif started".
 */
export async function spawnChild(env: Readonly<Record<string, string>>, crashAt: string | null): Promise<Child> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'test/market/saga-child.ts'], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      TCP_PORT: '0',
      UDP_PORT: '0',
      KAIF_SECRET_KEY: TEST_SECRET_KEY,
      KAIF_DATA_DIR: '/nonexistent-test-data-dir',
      KAIF_WEB_DIR: '/nonexistent-web-dir',
      LOG_LEVEL: 'info',
      ...env,
      ...(crashAt ? { MARKET_CRASH_AT: crashAt } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    let errors = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      errors += chunk.toString('utf8');
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as { msg?: string; ports?: { http: number } };
          if (entry.msg === 'kaif started' && entry.ports) resolve(entry.ports.http);
        } catch {
          // Not a log line.
        }
      }
    });
    void exited.then((signal) => reject(new Error(`child exited (${signal}) before starting: ${errors.slice(-2000)}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

