import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './adapter-fixtures.js';

/**
 * A Redis or NATS server owned by one test, on a free port, that the test
 * can SIGKILL mid-traffic and start again on the same port (and, for NATS,
 * the same JetStream store) — fault injection against the real engines.
 */
export interface PrivateEngine {
  readonly url: string;
  readonly port: number;
  kill(): Promise<void>;
  start(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function portAccepts(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function privateEngine(url: (port: number) => string, command: (port: number) => [string, string[]], port: number): PrivateEngine {
  let child: ChildProcess | undefined;
  return {
    url: url(port),
    port,
    async start() {
      const [binary, args] = command(port);
      child = spawn(binary, args, { stdio: 'ignore' });
      await eventually(() => portAccepts(port), 10_000, 50);
    },
    async kill() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
      await eventually(async () => !(await portAccepts(port)), 5000, 50);
    },
  };
}

export async function startPrivateRedis(): Promise<PrivateEngine> {
  const engine = privateEngine(
    (port) => `redis://127.0.0.1:${port}`,
    (port) => ['redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']],
    await freePort(),
  );
  await engine.start();
  return engine;
}

export async function startPrivateNats(): Promise<PrivateEngine> {
  const storeDir = mkdtempSync(join(tmpdir(), 'kaif-nats-'));
  const engine = privateEngine(
    (port) => `nats://127.0.0.1:${port}`,
    (port) => [existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir]],
    await freePort(),
  );
  await engine.start();
  return engine;
}
