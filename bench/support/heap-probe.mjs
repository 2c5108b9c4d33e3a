/**
 * Loaded into a server under test with `NODE_OPTIONS="--import <this file>"`
 * (so into every cluster worker too; plain JavaScript, since it loads before
 * any TypeScript loader, in worker threads too) and `BENCH_PROBE_DIR=<dir>`.
 * On SIGUSR2 the process runs a full garbage collection and writes
 * `<dir>/<pid>.json`: `{pid, seq, rssBeforeGc, rss, heapUsed, external,
 * arrayBuffers}`; with `BENCH_HEAP_SNAPSHOT=1` it also writes
 * `<dir>/<pid>-<seq>.heapsnapshot`. The measuring side reads the files.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';
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
    const v8 = getHeapStatistics();
    const report = {
      pid: process.pid,
      seq,
      rssBeforeGc,
      rss: usage.rss,
      heapUsed: usage.heapUsed,
      external: usage.external,
      arrayBuffers: usage.arrayBuffers,
      // Where RSS beyond the used heap lives: V8's committed pages, or malloc (the process heap and its arenas).
      heapCommitted: v8.total_physical_size,
      mallocHeapRss: mallocHeapRss(),
    };
    // Renamed into place, so the reader never sees half a file.
    writeFileSync(join(dir, `${process.pid}.tmp`), JSON.stringify(report));
    renameSync(join(dir, `${process.pid}.tmp`), join(dir, `${process.pid}.json`));
  });
}

/** Resident bytes of malloc's main heap (`[heap]`) and of anonymous mappings, from /proc/self/smaps (Linux). */
function mallocHeapRss() {
  let heap = 0;
  let anonymous = 0;
  let current = '';
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) current = mapping[1];
    else if (line.startsWith('Rss:')) {
      const kb = Number(line.split(/\s+/)[1]) * 1024;
      if (current === '[heap]') heap += kb;
      else if (current === '') anonymous += kb;
    }
  }
  return { heap, anonymous };
}
