import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const WEB_DIST = join(WEB_ROOT, 'dist');
const REPO_ROOT = resolve(WEB_ROOT, '../..');

/** What the bundle is built from: the app, and the SDK and protocol it bundles. */
const SOURCES = [join(WEB_ROOT, 'src'), join(WEB_ROOT, 'index.html'), join(WEB_ROOT, 'vite.config.ts'), join(REPO_ROOT, 'packages/client/src'), join(REPO_ROOT, 'packages/protocol/src')];

function newestChange(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestChange(join(path, name))), stat.mtimeMs);
}

function isStale(): boolean {
  const built = join(WEB_DIST, 'index.html');
  if (!existsSync(built)) return true;
  return Math.max(...SOURCES.map(newestChange)) > statSync(built).mtimeMs;
}

/**
 * Builds apps/web/dist when it is missing or older than its sources. Test
 * files run in parallel workers, so one builds under a lock directory while
 * the others wait for it.
 */
export async function ensureWebBuilt(): Promise<string> {
  const lock = join(WEB_ROOT, '.build-lock');
  for (;;) {
    if (!isStale()) return WEB_DIST;
    try {
      mkdirSync(lock);
    } catch {
      await new Promise((done) => setTimeout(done, 500));
      continue;
    }
    try {
      if (isStale()) {
        // vitest sets NODE_ENV=test, which would give a development build of React.
        execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: WEB_ROOT, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
      }
      return WEB_DIST;
    } finally {
      rmdirSync(lock);
    }
  }
}
