/**
 * Loaded into a server under test with `NODE_OPTIONS="--import <this file>"`
 * (so into every cluster worker too; plain JavaScript, since it loads before
 * any TypeScript loader, in worker threads too) and `BENCH_PROBE_DIR=<dir>`.
 * On SIGUSR2 the process runs a full garbage collection and writes
 * `<dir>/<pid>.json`: `{pid, seq, rssBeforeGc, rss, heapUsed, external,
 * arrayBuffers}`; with `BENCH_HEAP_SNAPSHOT=1` it also writes
 * `<dir>/<pid>-<seq>.heapsnapshot`. The measuring side reads the files.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isMainThread } from 'node:worker_threads';

const dir = process.env.BENCH_PROBE_DIR;
if (dir && isMainThread) {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc');
  let seq = 0;
  process.on('SIGUSR2', () => {
    seq++;
    const rssBeforeGc = process.memoryUsage.rss();
    // Twice: the first pass may leave finalizers and weak callbacks for a second.
    collect();
    collect();
    const usage = process.memoryUsage();
    if (process.env.BENCH_HEAP_SNAPSHOT === '1') writeHeapSnapshot(join(dir, `${process.pid}-${seq}.heapsnapshot`));
    const report = { pid: process.pid, seq, rssBeforeGc, rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external, arrayBuffers: usage.arrayBuffers };
    // Renamed into place, so the reader never sees half a file.
    writeFileSync(join(dir, `${process.pid}.tmp`), JSON.stringify(report));
    renameSync(join(dir, `${process.pid}.tmp`), join(dir, `${process.pid}.json`));
  });
}
