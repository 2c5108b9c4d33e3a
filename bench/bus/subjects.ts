/**
 * What a published event costs the in-process bus (the one-process shape's
 * bus) as connected users grow: each connected user holds one subscription
 * `kaif.ev.user.<id>.>` and each followed chat one `kaif.live.chat.<id>.*`.
 * Side by side at 1 to 100,000 of each:
 * - finding an event's subscribers through the SubjectIndex (what the bus does);
 * - the baseline: testing every pattern with subjectMatches (what the bus
 *   did before);
 * - the memory bus end to end: events published and delivered to their one
 *   subscriber, per second.
 *
 *   npx tsx bench/bus/subjects.ts        BENCH_SECONDS=1 to tune
 *
 * Writes bench/results/bus-subjects.json and bus-subjects.svg.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { subjectMatches } from '../../packages/server/src/platform/bus/bus.js';
import { createMemoryBus } from '../../packages/server/src/platform/bus/memory-bus.js';
import { SubjectIndex } from '../../packages/server/src/platform/bus/subject-index.js';
import { writeChart } from '../support/svg-chart.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1);
const SIZES = [1, 100, 1_000, 10_000, 100_000];

interface Row {
  readonly subscribers: number;
  readonly indexPerSecond: number;
  readonly scanPerSecond: number;
  readonly busPerSecond: number;
  readonly indexVsScan: number;
}

const userPattern = (index: number) => `kaif.ev.user.user-${index}.>`;
const chatPattern = (index: number) => `kaif.live.chat.chat-${index}.*`;
/** Each event is about one user: the one subscription it reaches. */
const eventSubject = (index: number) => `kaif.ev.user.user-${index}.chats`;

/** Runs `step` for SECONDS and returns how many times per second it ran. */
function rate(step: (iteration: number) => void): number {
  const started = performance.now();
  let iterations = 0;
  while (performance.now() - started < SECONDS * 1000) {
    for (let batch = 0; batch < 64; batch++) step(iterations++);
  }
  return iterations / ((performance.now() - started) / 1000);
}

async function busRate(users: number): Promise<number> {
  const bus = createMemoryBus();
  let delivered = 0;
  for (let index = 0; index < users; index++) {
    bus.subscribe(userPattern(index), () => {
      delivered++;
    });
    bus.subscribe(chatPattern(index), () => undefined);
  }
  const started = performance.now();
  let published = 0;
  while (performance.now() - started < SECONDS * 1000) {
    for (let batch = 0; batch < 256; batch++) bus.publish(eventSubject(published++ % users), { n: published });
    // Deliveries run on a later tick, as a network bus's would.
    await new Promise((resolve) => setImmediate(resolve));
  }
  while (delivered < published) await new Promise((resolve) => setImmediate(resolve));
  const perSecond = delivered / ((performance.now() - started) / 1000);
  await bus.close();
  return perSecond;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const users of SIZES) {
    const patterns = Array.from({ length: users }, (_, index) => [userPattern(index), chatPattern(index)]).flat();
    const index = new SubjectIndex<string>();
    for (const pattern of patterns) index.add(pattern, pattern);
    let found = 0;
    const indexPerSecond = rate((iteration) => {
      found += index.match(eventSubject(iteration % users)).length;
    });
    const scanPerSecond = rate((iteration) => {
      const subject = eventSubject(iteration % users);
      found += patterns.filter((pattern) => subjectMatches(pattern, subject)).length;
    });
    if (found === 0) throw new Error('no event found its subscriber');
    const busPerSecond = await busRate(users);
    rows.push({ subscribers: users * 2, indexPerSecond, scanPerSecond, busPerSecond, indexVsScan: indexPerSecond / scanPerSecond });
    console.error(`${users} users done`);
  }
  console.log('| connected users (subscriptions) | find subscribers: index /s | testing every pattern (before) /s | index ÷ before | memory bus end to end, events/s |');
  console.log('|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const n = (value: number) => Math.round(value).toLocaleString('en-US');
    console.log(`| ${n(row.subscribers / 2)} (${n(row.subscribers)}) | ${n(row.indexPerSecond)} | ${n(row.scanPerSecond)} | ${row.indexVsScan.toFixed(1)}× | ${n(row.busPerSecond)} |`);
  }
  const dir = join(import.meta.dirname, '..', 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'bus-subjects.json'), `${JSON.stringify({ seconds: SECONDS, rows }, null, 2)}\n`);
  await writeChart(join(dir, 'bus-subjects.svg'), {
    title: 'In-process bus: events per second against connected users',
    xLabel: 'connected users (one user and one chat subscription each)',
    yLabel: 'events per second',
    xScale: 'log',
    yScale: 'log',
    series: [
      { name: 'find subscribers: SubjectIndex', points: rows.map((row) => ({ x: row.subscribers / 2, y: row.indexPerSecond })) },
      { name: 'find subscribers: every pattern tested (before)', points: rows.map((row) => ({ x: row.subscribers / 2, y: row.scanPerSecond })) },
      { name: 'memory bus end to end (publish + deliver)', points: rows.map((row) => ({ x: row.subscribers / 2, y: row.busPerSecond })) },
    ],
  });
}

await main();
