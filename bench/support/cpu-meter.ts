import { readFile, readdir } from 'node:fs/promises';

/**
 * CPU time spent during a measurement, by this process (all its threads,
 * PGlite's included) and by the local PostgreSQL server (every process named
 * `postgres`: backends, WAL writer, checkpointer). On a shared or throttled
 * host, throughput moves from run to run by tens of percent; CPU time per
 * operation moves far less, so it is the figure to compare two versions of
 * the write path by. PostgreSQL's share is read from /proc, so it is null
 * where there is no /proc or no local server.
 */
export interface CpuSpent {
  readonly processMs: number;
  readonly postgresMs: number | null;
}

const TICKS_PER_SECOND = 100;

/**
 * Starts counting; the returned function stops and reports what was spent
 * since. With `pid`, `processMs` is that process's time (a server the bench
 * started, read from /proc: null where there is none), not this one's.
 */
export async function startCpuMeter(pid?: number): Promise<() => Promise<CpuSpent>> {
  const processMs = async () => {
    if (pid === undefined) {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    }
    return ticksMs(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''));
  };
  const process0 = await processMs();
  const postgres0 = await postgresCpuMs();
  return async () => {
    const process1 = await processMs();
    const postgres1 = await postgresCpuMs();
    return {
      processMs: process0 === null || process1 === null ? Number.NaN : process1 - process0,
      postgresMs: postgres0 === null || postgres1 === null ? null : postgres1 - postgres0,
    };
  };
}

/** User and system time, in ms, from a /proc/<pid>/stat line (null for an empty one). */
function ticksMs(stat: string): number | null {
  // The command sits in parentheses and may hold spaces; the fields after it are space-separated.
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const fields = stat.slice(close + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/**
 * User and system time of every live `postgres` process, in ms. Backends
 * that exit between two readings take their time with them, so measure
 * with a pool that stays open.
 */
async function postgresCpuMs(): Promise<number | null> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return null;
  }
  let ms = 0;
  let found = false;
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
    ms += ticksMs(stat) ?? 0;
    found = true;
  }
  return found ? ms : null;
}
