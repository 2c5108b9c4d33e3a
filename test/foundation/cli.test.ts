import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const KAIF = join(import.meta.dirname, '../../packages/server/bin/kaif.js');

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [KAIF, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Finished>((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

describe('kaif CLI', () => {
  it('refuses a bad PORT with one line naming it and a non-zero exit, opening nothing', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'kaif-cli-')), 'data');
    const { code, stderr, stdout } = await run(['start'], { PORT: 'abc', KAIF_DATA_DIR: dataDir }).done;
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n').filter((line) => line.includes('CONFIG ERROR'))).toEqual([
      'CONFIG ERROR: PORT must be a port number from 0 to 65535 (got "abc")',
    ]);
    expect(stdout).not.toContain('kaif started');
  });

  it('reports every bad variable at once', async () => {
    const { code, stderr } = await run(['start'], { PORT: '-1', REDIS_URL: 'http://nope', KAIF_WORKERS: '0' }).done;
    expect(code).not.toBe(0);
    for (const name of ['PORT', 'REDIS_URL', 'KAIF_WORKERS']) expect(stderr).toContain(`CONFIG ERROR: ${name} `);
  });

  it('refuses an unknown role and names the known ones', async () => {
    const { code, stderr } = await run(['start', '--role', 'api,nonsense']).done;
    expect(code).toBe(64);
    expect(stderr).toContain('unknown role nonsense');
    expect(stderr).toContain('api, realtime, wire, worker');
  });

  it('lists the roles with a description each', async () => {
    const { code, stdout } = await run(['roles']).done;
    expect(code).toBe(0);
    for (const role of ['all', 'api', 'realtime', 'wire', 'worker']) expect(stdout).toMatch(new RegExp(`^${role}\\s+\\S`, 'm'));
  });

  it('starts on embedded defaults, becomes ready, and exits 0 on SIGTERM', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'kaif-cli-')), 'data');
    const { child, done } = run(['start'], { PORT: '0', TCP_PORT: '0', UDP_PORT: '0', HOST: '127.0.0.1', KAIF_DATA_DIR: dataDir });
    let port: number | undefined;
    let logs = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      logs += chunk.toString();
      const match = /"msg":"kaif started"/.test(logs) && /"ports":\{"http":(\d+)/.exec(logs);
      if (match) port = Number(match[1]);
    });
    const deadline = Date.now() + 150_000;
    while (port === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(port).toBeDefined();
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
    const stoppedAt = Date.now();
    child.kill('SIGTERM');
    const { code } = await done;
    expect(code).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
  }, 180_000);
});
