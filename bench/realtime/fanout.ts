/**
 * Real-time fan-out benchmark: N connected clients in rooms of K, M messages
 * per second into those rooms, against Kaif's gateway and two baselines in
 * one run — a bare `ws` broadcast server (the ceiling) and Socket.IO with
 * rooms (what users would pick instead).
 *
 *   npx tsx bench/realtime/fanout.ts [--clients 10000] [--room-size 100]
 *     [--rate 20] [--seconds 10] [--generators 4] [--members 2] [--targets kaif,ws,socketio]
 *     [--scale [--workers N]]   Kaif on PostgreSQL + NATS + Redis with N worker processes
 *     [--ceiling [--max-rate 6400]]  double the rate from --rate until each server stops
 *                                    keeping up; report each one's highest sustained rate
 *
 * Reports delivered messages/s, p50/p99 send-to-deliver latency and server
 * memory per idle connection; writes bench/results/realtime-fanout.{json,md}.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { io as socketIo } from 'socket.io-client';
import WebSocket from 'ws';
import { availableParallelism } from 'node:os';
import { type BenchServer, rssBytes, scaleEngines, startBaseline, startKaif, stopServer } from './bench-servers.js';
import { type KaifRoom, createKaifRooms, sendKaif } from './kaif-senders.js';
import type { GeneratorMessage, GeneratorTask } from './load-generator.js';
import { writeChart } from '../support/svg-chart.js';

type Target = 'kaif' | 'ws' | 'socketio';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '10000' },
    'room-size': { type: 'string', default: '100' },
    rate: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '10' },
    generators: { type: 'string', default: '4' },
    members: { type: 'string', default: '2' },
    targets: { type: 'string', default: 'ws,socketio,kaif' },
    scale: { type: 'boolean', default: false },
    workers: { type: 'string', default: String(availableParallelism()) },
    ceiling: { type: 'boolean', default: false },
    'max-rate': { type: 'string', default: '6400' },
  },
});
/** `--scale`: Kaif in its scale-out shape with several workers (see scaleEngines). */
const SCALE = values.scale!;
const CLIENTS = Number(values.clients);
const ROOM_SIZE = Number(values['room-size']);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const GENERATORS = Number(values.generators);
const MEMBERS = Number(values.members);
const TARGETS = values.targets!.split(',') as Target[];
/** `--ceiling`: double the offered rate from --rate until a server stops keeping up. */
const CEILING = values.ceiling!;
const MAX_RATE = Number(values['max-rate']);
/** How long after the last send a delivery still counts. */
const DRAIN_MS = 3000;
const ROOMS = Math.ceil(CLIENTS / ROOM_SIZE);
/** Loopback source addresses, so no single address runs out of ephemeral ports. */
const LOCAL_ADDRESSES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const RESULTS = join(import.meta.dirname, '../results');

/** One offered rate, held for SECONDS, then drained. */
interface Phase {
  readonly rate: number;
  readonly sent: number;
  readonly expectedDeliveries: number;
  readonly deliveries: number;
  readonly deliveredPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface TargetResult extends Phase {
  readonly target: Target;
  readonly connected: number;
  readonly connectSeconds: number;
  readonly idleBytesPerConnection: number;
  readonly phases: readonly Phase[];
}

/**
 * A rate is sustained when (nearly) every delivery arrived within the drain
 * window and the slowest percent still arrived within a second: beyond that
 * the server is queueing, not keeping up.
 */
function sustained(phase: Phase): boolean {
  return phase.deliveries >= 0.99 * phase.expectedDeliveries && phase.p99Ms <= 1000;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function nextMessage<K extends GeneratorMessage['kind']>(child: ChildProcess, kind: K): Promise<Extract<GeneratorMessage, { kind: K }>> {
  return new Promise((resolve) => {
    const listener = (message: GeneratorMessage) => {
      if (message.kind !== kind) return;
      child.off('message', listener);
      resolve(message as Extract<GeneratorMessage, { kind: K }>);
    };
    child.on('message', listener);
  });
}

type Sender = Awaited<ReturnType<typeof openSender>>;

async function measurePhase(generators: readonly ChildProcess[], sender: Sender, rate: number, receivers: number): Promise<Phase> {
  for (const child of generators) child.send({ kind: 'measure' });
  let sent = 0;
  const started = Date.now();
  while (Date.now() - started < SECONDS * 1000) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    for (; sent < due; sent++) sender.send(sent % ROOMS, `bench:${Date.now()}:${sent}`);
    await sleep(5);
  }
  await sleep(DRAIN_MS);
  const reports = await Promise.all(
    generators.map((child) => {
      const done = nextMessage(child, 'report');
      child.send({ kind: 'report' });
      return done;
    }),
  );
  const latencies = reports.flatMap((report) => report.latenciesMs).sort((a, b) => a - b);
  const deliveries = reports.reduce((sum, report) => sum + report.deliveries, 0);
  return {
    rate,
    sent,
    expectedDeliveries: sent * receivers,
    deliveries,
    deliveredPerSecond: Math.round(deliveries / SECONDS),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/** How a target's sender posts one message into a room. */
async function openSender(target: Target, server: BenchServer, kaifRooms: readonly KaifRoom[]) {
  if (target === 'kaif') return { send: (room: number, text: string) => void sendKaif(server.url, kaifRooms[room]!, text).catch(() => {}), close() {} };
  if (target === 'ws') {
    const socket = new WebSocket(`${server.url}/ws`, { perMessageDeflate: false });
    await new Promise((resolve) => socket.once('open', resolve));
    return { send: (room: number, text: string) => socket.send(JSON.stringify({ room: `r${room}`, text })), close: () => socket.close() };
  }
  const socket = socketIo(server.url, { transports: ['websocket'] });
  await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
  return { send: (room: number, text: string) => void socket.emit('send', { room: `r${room}`, text }), close: () => socket.close() };
}

async function runTarget(target: Target): Promise<TargetResult> {
  const scale = target === 'kaif' && SCALE ? await scaleEngines(Number(values.workers)) : undefined;
  const server = target === 'kaif' ? await startKaif(scale) : await startBaseline(target);
  try {
    const kaifRooms = target === 'kaif' ? await createKaifRooms(server.url, ROOMS, MEMBERS) : [];
    await sleep(1000);
    const rssBefore = rssBytes(server.child.pid!);
    const connections = Array.from({ length: CLIENTS }, (_, index) => {
      const room = index % ROOMS;
      const kaifRoom = kaifRooms[room];
      return kaifRoom ? { room: kaifRoom.chatId, token: kaifRoom.tokens[index % kaifRoom.tokens.length]! } : { room: `r${room}` };
    });
    const generators = Array.from({ length: GENERATORS }, () =>
      fork(join(import.meta.dirname, 'load-generator.ts'), [], { execArgv: ['--import', 'tsx'] }),
    );
    const connectStart = Date.now();
    const connected = await Promise.all(
      generators.map((child, index) => {
        const task: GeneratorTask = {
          target,
          url: server.url,
          connections: connections.filter((_, position) => position % GENERATORS === index),
          localAddresses: LOCAL_ADDRESSES,
        };
        const done = nextMessage(child, 'connected');
        child.send({ kind: 'start', task });
        return done;
      }),
    );
    const connectSeconds = (Date.now() - connectStart) / 1000;
    const connectedCount = connected.reduce((sum, entry) => sum + entry.count, 0);
    await sleep(3000);
    const rssIdle = rssBytes(server.child.pid!);

    const sender = await openSender(target, server, kaifRooms);
    const receivers = Math.round(connectedCount / ROOMS);
    const phases: Phase[] = [];
    try {
      for (let rate = RATE; ; rate *= 2) {
        const phase = await measurePhase(generators, sender, rate, receivers);
        phases.push(phase);
        process.stderr.write(`  ${target} at ${rate} msg/s: ${phase.deliveredPerSecond} deliveries/s, ${(phase.deliveries / Math.max(1, phase.expectedDeliveries)).toFixed(3)} delivered, p99 ${phase.p99Ms} ms\n`);
        if (!CEILING || !sustained(phase) || rate * 2 > MAX_RATE) break;
      }
    } finally {
      sender.close();
      for (const child of generators) child.send({ kind: 'exit' });
    }
    // A ceiling run reports the highest offered rate the server sustained; a
    // plain run reports its one phase whether or not it kept up.
    const reported = CEILING ? (phases.filter(sustained).at(-1) ?? phases[0]!) : phases[0]!;
    return {
      target,
      connected: connectedCount,
      connectSeconds,
      ...reported,
      idleBytesPerConnection: Math.round((rssIdle - rssBefore) / Math.max(1, connectedCount)),
      phases,
    };
  } finally {
    await stopServer(server);
    await scale?.drop();
  }
}

function markdown(results: readonly TargetResult[]): string {
  const byTarget = new Map(results.map((result) => [result.target, result]));
  const ratio = (value: number, base: number | undefined) => (base ? `${(value / base).toFixed(2)}×` : 'n/a');
  const lines = [
    `N = ${CLIENTS} clients, rooms of ${ROOM_SIZE} (${ROOMS} rooms), ${CEILING ? `each server's highest sustained rate, doubling from ${RATE} messages/s (${SECONDS} s each)` : `${RATE} messages/s for ${SECONDS} s`}, ${GENERATORS} load generators${SCALE ? `; Kaif scaled out: PostgreSQL + NATS + Redis, ${values.workers} workers` : ''}`,
    '',
    `| server | connected |${CEILING ? ' ceiling msg/s in |' : ''} delivered msg/s | delivered / expected | p50 ms | p99 ms | idle KiB/conn | msg/s vs ws | msg/s vs Socket.IO |`,
    `|---|---:|${CEILING ? '---:|' : ''}---:|---:|---:|---:|---:|---:|---:|`,
  ];
  for (const result of results) {
    lines.push(
      `| ${result.target} | ${result.connected} |${CEILING ? ` ${result.rate} |` : ''} ${result.deliveredPerSecond} | ${(result.deliveries / Math.max(1, result.expectedDeliveries)).toFixed(3)} | ${result.p50Ms} | ${result.p99Ms} | ${(result.idleBytesPerConnection / 1024).toFixed(1)} | ${ratio(result.deliveredPerSecond, byTarget.get('ws')?.deliveredPerSecond)} | ${ratio(result.deliveredPerSecond, byTarget.get('socketio')?.deliveredPerSecond)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const results: TargetResult[] = [];
for (const target of TARGETS) {
  process.stderr.write(`running ${target}…\n`);
  results.push(await runTarget(target));
}
const table = markdown(results);
process.stdout.write(table);
const config = {
  clients: CLIENTS,
  roomSize: ROOM_SIZE,
  rooms: ROOMS,
  rate: RATE,
  seconds: SECONDS,
  generators: GENERATORS,
  membersPerKaifChat: MEMBERS,
  ...(SCALE ? { scale: { engines: 'postgres+nats+redis', workers: Number(values.workers) } } : {}),
};
const stem = `realtime-fanout${SCALE ? '-scale' : ''}${CEILING ? '-ceiling' : ''}`;
if (CEILING) {
  // Every server delivers everything at every rate tried here; what ends a run is latency.
  await writeChart(join(RESULTS, `${stem}.svg`), {
    title: `Fan-out p99 (rooms of ${ROOM_SIZE}, ${CLIENTS} clients)`,
    xLabel: 'messages/s offered',
    yLabel: 'p99 ms',
    xScale: 'log',
    yScale: 'log',
    series: results.map((result) => ({ name: result.target, points: result.phases.map((phase) => ({ x: phase.rate, y: Math.max(1, phase.p99Ms) })) })),
  });
}
await writeFile(join(RESULTS, `${stem}.json`), `${JSON.stringify({ at: new Date().toISOString(), config, results }, null, 2)}\n`);
await writeFile(join(RESULTS, `${stem}.md`), table);
