import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_SECRET_KEY } from './test-server.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI = fileURLToPath(new URL('../../packages/server/bin/kaif.js', import.meta.url));

/**
 * `kaif start` as a child process, so a test can SIGKILL a node for real (no
 * graceful drain, sockets cut) and start it again on the same HTTP port, as
 * a process supervisor would.
 */
export interface ServerProcess {
  readonly url: string;
  /** Every warn-or-worse log line, across restarts: evidence when a fault test fails. */
  readonly warnings: readonly string[];
  readonly port: number;
  kill(): Promise<void>;
  /** SIGTERM: a graceful shutdown; resolves once the process exited. */
  stop(): Promise<void>;
  /** Starts again on the same port; resolves once it logged "kaif started". */
  restart(): Promise<void>;
}

export async function startServerProcess(env: Readonly<Record<string, string>>): Promise<ServerProcess> {
  let child: ChildProcess | undefined;
  let port = 0;
  const warnings: string[] = [];
  const launch = async () => {
    const started = spawnNode([CLI, 'start'], { ...env, PORT: String(port) }, warnings);
    child = started.child;
    port = await started.port;
  };
  await launch();
  return {
    warnings,
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    kill: () => signal(child, 'SIGKILL'),
    stop: () => signal(child, 'SIGTERM'),
    restart: launch,
  };
}

async function signal(child: ChildProcess | undefined, name: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(name);
  await exited;
}

/**
 * A Kaif node: `node <args>` in the repository (`kaif start`, or a test's own
 * entry point run through tsx) with the test settings under `env`. `port`
 * resolves with its HTTP port once it logged "kaif started", and rejects if
 * it exits first; its warn-or-worse log lines are added to `warnings`.
 */
export function spawnNode(args: readonly string[], env: Readonly<Record<string, string>>, warnings: string[]): { child: ChildProcess; port: Promise<number> } {
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env: {
      PATH: process.env.PATH ?? '',
      TCP_PORT: '0',
      UDP_PORT: '0',
      HOST: '127.0.0.1',
      KAIF_SECRET_KEY: TEST_SECRET_KEY,
      KAIF_WORKERS: '1',
      KAIF_DATA_DIR: '/nonexistent-test-data-dir',
      KAIF_WEB_DIR: '/nonexistent-web-dir',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = new Promise<number>((resolve, reject) => {
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
        const entry = parseLogLine(line);
        if (entry?.msg === 'kaif started') resolve(entry.ports.http);
        if ((entry?.level ?? 0) >= WARN_LEVEL) warnings.push(line);
      }
    });
    child.once('exit', (code, signal) => reject(new Error(`kaif exited (${code ?? signal}) before starting: ${errors.slice(-2000)}`)));
  });
  return { child, port };
}

/** pino's numeric level for warn. */
const WARN_LEVEL = 40;

interface LogLine {
  readonly level?: number;
  readonly msg?: string;
  readonly ports: { readonly http: number };
}

function parseLogLine(line: string): LogLine | undefined {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return undefined;
  }
}
