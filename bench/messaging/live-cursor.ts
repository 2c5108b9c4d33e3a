/**
 * What one live event costs one connection's feed follower, by the number of
 * groups the recipient is in: placing the event against the position and
 * writing the frame's cursor. Baseline, in the same run on the same events:
 * the full cursor every live frame carried before relative cursors (decode
 * the text, move one channel, encode it again). Pure CPU: the base a
 * follower stores (one row) is counted, not timed; `rebases per 1,000` is
 * that write rate, and the bytes of those rows are given as stored (a link
 * of a chain, or a full snapshot at a chain's start) and as they would be if
 * every base were a full snapshot.
 *
 *   npx tsx bench/messaging/live-cursor.ts [--events 20000] [--groups 10,100,1000]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChatId, UserId } from '@kaif/protocol';
import type { LiveChatEvent } from '../../packages/server/src/modules/messaging/api.js';
import { decodeCursor, encodeCursor } from '../../packages/server/src/modules/messaging/feed-cursor.js';
import { type CursorBase, baseRowOf } from '../../packages/server/src/modules/messaging/cursor-bases.js';
import { TrackedPosition } from '../../packages/server/src/modules/messaging/feed-position.js';
import { writeChart } from '../support/svg-chart.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '20000' }, groups: { type: 'string', default: '10,100,1000' } } });
const EVENTS = Number(values.events);
const GROUP_COUNTS = values.groups.split(',').map(Number);
const me = 'bench-user' as UserId;

interface Result {
  readonly groups: number;
  readonly path: 'full cursor (baseline)' | 'relative cursor';
  readonly usPerEvent: number;
  readonly cursorBytes: number;
  readonly rebasesPer1000?: number;
  /** Bytes of base rows written per 1,000 events: as stored (chains), and all in full. */
  readonly baseBytesPer1000?: { readonly chained: number; readonly full: number };
}

/** Events spread over the groups at random, each the next of its chat. */
function eventsFor(groupIds: readonly string[]): LiveChatEvent[] {
  const seqs = new Map(groupIds.map((id) => [id, 100]));
  return Array.from({ length: EVENTS }, () => {
    const chatId = groupIds[Math.floor(Math.random() * groupIds.length)]!;
    const previousSeq = seqs.get(chatId)!;
    seqs.set(chatId, previousSeq + 1);
    return { chatId: chatId as ChatId, seq: previousSeq + 1, previousSeq, type: 'message.new', at: new Date(0).toISOString(), data: {}, chatType: 'group' };
  });
}

function runFull(channels: Record<string, number>, events: readonly LiveChatEvent[]): Result {
  let text = encodeCursor({ pts: 0, channels });
  let bytes = 0;
  const started = process.hrtime.bigint();
  for (const event of events) {
    const cursor = decodeCursor(text);
    text = encodeCursor({ ...cursor, channels: { ...cursor.channels, [event.chatId]: event.seq } });
    bytes += text.length;
  }
  const us = Number(process.hrtime.bigint() - started) / 1000;
  return { groups: Object.keys(channels).length, path: 'full cursor (baseline)', usPerEvent: round(us / events.length), cursorBytes: Math.round(bytes / events.length) };
}

function runRelative(channels: Record<string, number>, events: readonly LiveChatEvent[]): Result {
  const position = new TrackedPosition({ pts: 0, channels }, null);
  let base: CursorBase | null = null;
  let rebases = 0;
  let bytes = 0;
  const baseBytes = { chained: 0, full: 0 };
  let timed = 0n;
  let started = process.hrtime.bigint();
  for (const event of events) {
    if (position.follow(me, event) !== 'next') throw new Error(`event ${event.chatId}/${event.seq} was not next`);
    bytes += position.cursor.length;
    if (position.wantsBase) {
      const seqs = position.channelSeqs();
      // Counting the bytes is not the follower's work: the clock stops for it.
      timed += process.hrtime.bigint() - started;
      const row = baseRowOf(seqs, base);
      baseBytes.chained += JSON.stringify(row.channels).length + JSON.stringify(row.dropped).length;
      baseBytes.full += JSON.stringify(seqs).length;
      base = { id: rebases + 1, channels: seqs, rootId: row.rootId ?? rebases + 1, depth: row.depth };
      started = process.hrtime.bigint();
      position.rebase(base);
      rebases++;
    }
  }
  const us = Number(timed + process.hrtime.bigint() - started) / 1000;
  const per1000 = (value: number) => Math.round((value * 1000) / events.length);
  return {
    groups: Object.keys(channels).length,
    path: 'relative cursor',
    usPerEvent: round(us / events.length),
    cursorBytes: Math.round(bytes / events.length),
    rebasesPer1000: round((rebases * 1000) / events.length),
    baseBytesPer1000: { chained: per1000(baseBytes.chained), full: per1000(baseBytes.full) },
  };
}

const round = (value: number) => Math.round(value * 100) / 100;

async function main() {
  const results: Result[] = [];
  for (const count of GROUP_COUNTS) {
    const groupIds = Array.from({ length: count }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const channels = Object.fromEntries(groupIds.map((id) => [id, 100]));
    const events = eventsFor(groupIds);
    // Warm both paths, then measure them interleaved.
    runFull(channels, events.slice(0, 500));
    runRelative(channels, events.slice(0, 500));
    results.push(runFull(channels, events), runRelative(channels, events));
  }
  console.log('| groups | path | µs per event | cursor bytes per frame | rebases per 1,000 events | base bytes per 1,000 events: chained / all full | time vs baseline |');
  console.log('|---:|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const baseline = results.find((b) => b.groups === r.groups && b.path === 'full cursor (baseline)')!;
    console.log(`| ${r.groups} | ${r.path} | ${r.usPerEvent} | ${r.cursorBytes.toLocaleString('en-US')} | ${r.rebasesPer1000 ?? '—'} | ${r.baseBytesPer1000 ? `${r.baseBytesPer1000.chained.toLocaleString('en-US')} / ${r.baseBytesPer1000.full.toLocaleString('en-US')}` : '—'} | ${round(r.usPerEvent / baseline.usPerEvent)}× |`);
  }
  const out = join(import.meta.dirname, '..', 'results', 'messaging-live-cursor');
  await mkdir(join(import.meta.dirname, '..', 'results'), { recursive: true });
  await writeFile(`${out}.json`, `${JSON.stringify({ date: new Date().toISOString(), events: EVENTS, results }, null, 2)}\n`);
  const series = (path: Result['path'], field: 'usPerEvent' | 'cursorBytes', name: string) => ({
    name,
    points: results.filter((r) => r.path === path).map((r) => ({ x: r.groups, y: r[field] })),
  });
  await writeChart(`${out}.svg`, {
    title: 'One live event, one connection: cost by the recipient’s number of groups',
    xLabel: 'groups the recipient is in',
    yLabel: 'µs per event',
    xScale: 'log',
    yScale: 'log',
    series: [series('full cursor (baseline)', 'usPerEvent', 'full cursor (baseline)'), series('relative cursor', 'usPerEvent', 'relative cursor')],
  });
  console.log(`\nwrote ${out}.json and ${out}.svg`);
}

await main();
