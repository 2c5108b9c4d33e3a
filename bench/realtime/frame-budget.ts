/**
 * The per-frame cost of the WebSocket frame budget, on the hot path (every
 * frame passes it): the shared rate-limiter-flexible limiter keyed by
 * connection (FrameBudget) against the hand-rolled token bucket it replaced
 * (one object per connection, copied here as the baseline) and against
 * decoding the frame, which every frame pays too.
 *
 *   npx tsx bench/realtime/frame-budget.ts [--frames 2000000] [--connections 10000]
 */
import { parseArgs } from 'node:util';
import { decodeClientFrame } from '../../packages/server/src/modules/realtime/frame-decoder.js';
import { FrameBudget } from '../../packages/server/src/modules/realtime/frame-budget.js';

const { values } = parseArgs({ options: { frames: { type: 'string', default: '2000000' }, connections: { type: 'string', default: '10000' } } });
const FRAMES = Number(values.frames);
const CONNECTIONS = Number(values.connections);

/** The removed per-connection token bucket, verbatim in behaviour. */
class TokenBucket {
  private tokens: number;
  private refilledAt = Date.now();
  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): number {
    const time = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((time - this.refilledAt) / 1000) * this.ratePerSecond);
    this.refilledAt = time;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return (1 - this.tokens) / this.ratePerSecond;
  }
}

/** Nanoseconds per frame of `run`, best of three. */
async function measure(run: (frames: number) => Promise<void> | void): Promise<number> {
  await run(Math.min(FRAMES, 100_000));
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const started = process.hrtime.bigint();
    await run(FRAMES);
    best = Math.min(best, Number(process.hrtime.bigint() - started) / FRAMES);
  }
  return best;
}

// Budgets high enough that nothing is refused: the common case is an allowed frame.
const buckets = Array.from({ length: CONNECTIONS }, () => new TokenBucket(1e9, 1e9));
const budget = new FrameBudget(1e9, 1e9);
const frame = '{"type":"message.send","id":"f1","chatId":"0190b3d8-6c39-7c4e-9d43-5ab1c2f6e3a1","clientMsgId":"m-1","text":"hello there"}';
let sink = 0;

const results = {
  tokenBucketNs: await measure((frames) => {
    for (let index = 0; index < frames; index++) sink += buckets[index % CONNECTIONS]!.take();
  }),
  frameBudgetNs: await measure(async (frames) => {
    // As the connection uses it: one take per frame, answers in frame order.
    const batch: Promise<number>[] = [];
    for (let index = 0; index < frames; index++) {
      batch.push(budget.take(index % CONNECTIONS));
      if (batch.length === 1000) sink += (await Promise.all(batch.splice(0))).length;
    }
    sink += (await Promise.all(batch)).length;
  }),
  decodeFrameNs: await measure((frames) => {
    for (let index = 0; index < frames; index++) sink += decodeClientFrame(frame).ok ? 1 : 0;
  }),
};
const line = (name: string, ns: number) => `| ${name} | ${ns.toFixed(0)} | ${(ns / results.decodeFrameNs).toFixed(2)}× |`;
process.stdout.write(
  [
    `${FRAMES} frames over ${CONNECTIONS} connections (sink ${sink > 0 ? 'used' : 'empty'})`,
    '',
    '| per frame | ns | × decoding the frame |',
    '|---|---:|---:|',
    line('hand-rolled token bucket (removed)', results.tokenBucketNs),
    line('FrameBudget (rate-limiter-flexible, shared)', results.frameBudgetNs),
    line('decoding a message.send frame (baseline)', results.decodeFrameNs),
    '',
  ].join('\n'),
);
