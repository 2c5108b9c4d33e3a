import { fileURLToPath } from 'node:url';
import { spawnNode } from '../support/server-process.js';

const SAGA_CHILD = fileURLToPath(new URL('./saga-child.ts', import.meta.url));

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
  const { child, port } = spawnNode(['--import', 'tsx', SAGA_CHILD], { ...env, ...(crashAt ? { MARKET_CRASH_AT: crashAt } : {}) }, []);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  return {
    url: `http://127.0.0.1:${await port}`,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
