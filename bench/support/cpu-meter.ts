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

/** Starts counting; the returned function stops and reports what was spent since. */
export async function startCpuMeter(): Promise<() => Promise<CpuSpent>> {
  const process0 = process.cpuUsage();
  const postgres0 = await postgresCpuMs();
  return async () => {
    const { user, system } = process.cpuUsage(process0);
    const postgres1 = await postgresCpuMs();
    return {
      processMs: (user + system) / 1000,
      postgresMs: postgres0 === null || postgres1 === null ? null : postgres1 - postgres0,
    };
  };
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
  let ticks = 0;
  let found = false;
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // The command sits in parentheses and may hold spaces; the fields after it are space-separated.
    const close = stat.lastIndexOf(')');
    if (close < 0 || stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
    const fields = stat.slice(close + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command.
    ticks += Number(fields[11]) + Number(fields[12]);
    found = true;
  }
  return found ? (ticks * 1000) / TICKS_PER_SECOND : null;
}
