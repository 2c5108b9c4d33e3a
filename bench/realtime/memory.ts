/**
 * Memory per idle connection: the same number of idle clients held open by
 * Kaif's gateway (embedded, and `--scale`: PostgreSQL + NATS + Redis with
 * several workers), a bare `ws` server and Socket.IO 4, in one run. A Kaif
 * client is authenticated and synced (`auth` → `ready`, `sync` → `synced`) in
 * a group chat; a baseline client has joined a room — each the least a live
 * client of that server holds.
 *
 *   npx tsx bench/realtime/memory.ts [--steps 2500,5000,10000] [--room-size 100]
 *     [--members 2] [--generators 4] [--targets ws,socketio,kaif,kaif-scale] [--workers N]
 *     [--snapshot]   also write heap snapshots of every server process at each step
 *
 * Every server process loads bench/support/heap-probe.mjs: before connecting
 * and at each step it runs a full GC and reports heap used and RSS; the
 * figures are the growth over the empty server divided by the connections,
 * summed over the process tree (cluster workers included), after a full GC
 * in each; also the marginal cost between the first and the last step. Writes
 * bench/results/realtime-memory.{json,md} and two charts.
 */
import { type ChildProcess, execSync, fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeChart } from '../support/svg-chart.js';
import { type BenchServer, processTree, scaleEngines, startBaseline, startKaif, stopServer } from './bench-servers.js';
import { createKaifRooms } from './kaif-senders.js';
import type { GeneratorMessage, GeneratorTask } from './load-generator.js';

type Target = 'ws' | 'socketio' | 'kaif' | 'kaif-scale';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '2500,5000,10000' },
    'room-size': { type: 'string', default: '100' },
    members: { type: 'string', default: '2' },
    generators: { type: 'string', default: '4' },
    targets: { type: 'string', default: 'ws,socketio,kaif,kaif-scale' },
    workers: { type: 'string', default: String(availableParallelism()) },
    snapshot: { type: 'boolean', default: false },
  },
});
const STEPS = values.steps!.split(',').map(Number);
const CLIENTS = Math.max(...STEPS);
const ROOM_SIZE = Number(values['room-size']);
const ROOMS = Math.ceil(CLIENTS / ROOM_SIZE);
const MEMBERS = Number(values.members);
const GENERATORS = Number(values.generators);
const TARGETS = values.targets!.split(',') as Target[];
const WORKERS = Number(values.workers);
const LOCAL_ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const RESULTS = join(import.meta.dirname, '../results');
const NAMES: Record<Target, string> = { ws: 'ws (bare)', socketio: 'Socket.IO', kaif: 'Kaif embedded', 'kaif-scale': `Kaif --scale (${WORKERS} workers)` };

interface ProbeReport {
  readonly pid: number;
  readonly seq: number;
  readonly rssBeforeGc: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

interface Totals {
  /** Each process's report: a cluster primary and its workers grow differently. */
  readonly processes: readonly ProbeReport[];
  readonly rssBeforeGc: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
}

interface StepResult {
  /** Connections asked for; `connections` of them opened. */
  readonly step: number;
  readonly connections: number;
  readonly failed: number;
  readonly heapBytesPerConnection: number;
  readonly rssBytesPerConnection: number;
  readonly rssBeforeGcBytesPerConnection: number;
  readonly externalBytesPerConnection: number;
  readonly totals: Totals;
}

interface TargetResult {
  readonly target: Target;
  readonly empty: Totals;
  readonly steps: readonly StepResult[];
  /**
   * Growth per connection between the first and the last step: what one more
   * connection costs, without the fixed cost of the first ones (code compiled,
   * pools and buffers grown, a worker's start-up).
   */
  readonly marginal: { readonly heapBytesPerConnection: number; readonly rssBytesPerConnection: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks every process of the server to collect garbage and report; sums the reports. */
async function probe(server: BenchServer, dir: string, seq: number): Promise<Totals> {
  // Node processes only: tsx may run an esbuild service beside the server.
  const pids = processTree(server.child.pid!).filter((pid) => commandOf(pid) === process.execPath);
  for (const pid of pids) process.kill(pid, 'SIGUSR2');
  const reports: ProbeReport[] = [];
  const deadline = Date.now() + 120_000;
  for (const pid of pids) {
    for (;;) {
      const file = join(dir, `${pid}.json`);
      const report = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ProbeReport) : undefined;
      if (report && report.seq >= seq) {
        reports.push(report);
        break;
      }
      if (!existsSync(`/proc/${pid}`)) break;
      if (Date.now() > deadline) throw new Error(`process ${pid} did not report`);
      await sleep(100);
    }
  }
  const sum = (pick: (report: ProbeReport) => number) => reports.reduce((total, report) => total + pick(report), 0);
  return {
    processes: reports,
    rssBeforeGc: sum((report) => report.rssBeforeGc),
    rss: sum((report) => report.rss),
    heapUsed: sum((report) => report.heapUsed),
    external: sum((report) => report.external),
  };
}

/** A process's executable, or undefined once it has exited. */
function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
  } catch {
    return undefined;
  }
}

function nextMessage(child: ChildProcess): Promise<Extract<GeneratorMessage, { kind: 'connected' }>> {
  return new Promise((resolve) => {
    const listener = (message: GeneratorMessage) => {
      if (message.kind !== 'connected') return;
      child.off('message', listener);
      resolve(message);
    };
    child.on('message', listener);
  });
}

async function runTarget(target: Target): Promise<TargetResult> {
  const dir = await mkdtemp(join(tmpdir(), 'kaif-memory-'));
  // Inherited by the server and, through it, by its cluster workers.
  process.env.NODE_OPTIONS = `--import ${import.meta.resolve('../support/heap-probe.mjs')}`;
  process.env.BENCH_PROBE_DIR = dir;
  process.env.BENCH_HEAP_SNAPSHOT = values.snapshot ? '1' : '0';
  const kaif = target === 'kaif' || target === 'kaif-scale';
  const scale = target === 'kaif-scale' ? await scaleEngines(WORKERS) : undefined;
  let server = kaif ? await startKaif(scale) : await startBaseline(target);
  const generators: ChildProcess[] = [];
  try {
    const kaifRooms = kaif ? await createKaifRooms(server.url, ROOMS, MEMBERS) : [];
    if (kaif) {
      // Signing up hashes passwords (Argon2, tens of MiB each, in native
      // threads); malloc keeps much of it. Start again on the same data, so
      // the empty server's RSS is a server's, not the sign-ups' leftovers.
      await stopServer(server);
      server = await startKaif(scale, server.dataDir);
    }
    delete process.env.NODE_OPTIONS;
    await sleep(2000);
    let seq = 1;
    const empty = await probe(server, dir, seq);
    const connections = Array.from({ length: CLIENTS }, (_, index) => {
      const room = index % ROOMS;
      const kaifRoom = kaifRooms[room];
      return kaifRoom ? { room: kaifRoom.chatId, token: kaifRoom.tokens[index % kaifRoom.tokens.length]! } : { room: `r${room}` };
    });
    for (let index = 0; index < GENERATORS; index++) {
      generators.push(fork(join(import.meta.dirname, 'load-generator.ts'), [], { execArgv: ['--import', 'tsx'] }));
    }
    const steps: StepResult[] = [];
    let opened = 0;
    let failed = 0;
    for (const step of STEPS) {
      const batch = connections.slice(opened, step);
      const done = await Promise.all(
        generators.map((child, index) => {
          const task: GeneratorTask = {
            target: target === 'kaif-scale' ? 'kaif' : target,
            url: server.url,
            connections: batch.filter((_, position) => position % GENERATORS === index),
            localAddresses: LOCAL_ADDRESSES,
          };
          const connected = nextMessage(child);
          child.send({ kind: 'start', task });
          return connected;
        }),
      );
      opened = step;
      failed += done.reduce((sum, entry) => sum + entry.failed, 0);
      const live = opened - failed;
      await sleep(3000);
      const totals = await probe(server, dir, ++seq);
      const per = (pick: (totals: Totals) => number) => Math.round((pick(totals) - pick(empty)) / Math.max(1, live));
      steps.push({
        step,
        connections: live,
        failed,
        heapBytesPerConnection: per((t) => t.heapUsed),
        rssBytesPerConnection: per((t) => t.rss),
        rssBeforeGcBytesPerConnection: per((t) => t.rssBeforeGc),
        externalBytesPerConnection: per((t) => t.external),
        totals,
      });
      process.stderr.write(`${target}: ${live} connected, heap ${(steps.at(-1)!.heapBytesPerConnection / 1024).toFixed(2)} KiB/conn\n`);
    }
    const [first, last] = [steps[0]!, steps.at(-1)!];
    const slope = (pick: (totals: Totals) => number) =>
      Math.round((pick(last.totals) - pick(first.totals)) / Math.max(1, last.connections - first.connections));
    return { target, empty, steps, marginal: { heapBytesPerConnection: slope((t) => t.heapUsed), rssBytesPerConnection: slope((t) => t.rss) } };
  } finally {
    for (const child of generators) child.kill();
    await stopServer(server);
    await scale?.drop();
    if (!values.snapshot) await rm(dir, { recursive: true, force: true });
    else process.stderr.write(`heap snapshots of ${target} in ${dir}\n`);
  }
}

function markdown(results: readonly TargetResult[]): string {
  const kib = (bytes: number) => (bytes / 1024).toFixed(2);
  const ws = results.find((result) => result.target === 'ws')?.steps.at(-1);
  const lines = [
    `Idle connections: ${STEPS.join(' / ')}; Kaif: group chats of ${MEMBERS} accounts, ${ROOM_SIZE} connections per chat; baselines: rooms of ${ROOM_SIZE}`,
    '',
    '| server | connections | heap used KiB/conn | RSS KiB/conn | heap × ws |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const result of results) {
    for (const step of result.steps) {
      const ratio = ws ? `${(step.heapBytesPerConnection / ws.heapBytesPerConnection).toFixed(2)}×` : 'n/a';
      lines.push(`| ${NAMES[result.target]} | ${step.connections} | ${kib(step.heapBytesPerConnection)} | ${kib(step.rssBytesPerConnection)} | ${ratio} |`);
    }
  }
  lines.push(
    '',
    `Marginal cost of one more connection (growth from ${STEPS[0]} to ${CLIENTS} connections):`,
    '',
    '| server | heap used KiB/conn | RSS KiB/conn |',
    '|---|---:|---:|',
    ...results.map((result) => `| ${NAMES[result.target]} | ${kib(result.marginal.heapBytesPerConnection)} | ${kib(result.marginal.rssBytesPerConnection)} |`),
  );
  return `${lines.join('\n')}\n`;
}

// The server holds every socket in one process (embedded); each process inherits this shell's limit.
const openFiles = Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim());
if (openFiles < CLIENTS + 1000) process.stderr.write(`ulimit -n is ${openFiles}: raise it (ulimit -n 65536) or connections will fail\n`);

const results: TargetResult[] = [];
for (const target of TARGETS) {
  process.stderr.write(`running ${target}…\n`);
  results.push(await runTarget(target));
}
const table = markdown(results);
process.stdout.write(table);
const config = { steps: STEPS, roomSize: ROOM_SIZE, membersPerKaifChat: MEMBERS, generators: GENERATORS, workers: WORKERS };
await writeFile(join(RESULTS, 'realtime-memory.json'), `${JSON.stringify({ at: new Date().toISOString(), config, results }, null, 2)}\n`);
await writeFile(join(RESULTS, 'realtime-memory.md'), table);
const series = (pick: (step: StepResult) => number) =>
  results.map((result) => ({ name: NAMES[result.target], points: result.steps.map((step) => ({ x: step.step, y: pick(step) / 1024 })) }));
const charts = [
  { file: 'realtime-memory-heap.svg', title: 'Heap used per idle connection (after full GC)', pick: (step: StepResult) => step.heapBytesPerConnection },
  { file: 'realtime-memory-rss.svg', title: 'RSS growth per idle connection (after full GC)', pick: (step: StepResult) => step.rssBytesPerConnection },
];
for (const chart of charts) {
  await writeChart(join(RESULTS, chart.file), { title: chart.title, xLabel: 'idle connections', yLabel: 'KiB per connection', kind: 'bar', series: series(chart.pick) });
}
