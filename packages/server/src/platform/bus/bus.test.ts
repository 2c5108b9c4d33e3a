import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { adapterDeps, eventually } from '../../../../../test/support/adapter-fixtures.js';
import { ENGINE_URLS, engineAvailable } from '../../../../../test/support/engines.js';
import { type Bus, type BusPayload, subjectMatches } from './bus.js';
import { createMemoryBus } from './memory-bus.js';
import { openNatsBus } from './nats-bus.js';

const IMPLEMENTATIONS: { name: string; open: () => Promise<Bus> }[] = [
  { name: 'memory', open: async () => createMemoryBus() },
  ...(engineAvailable('nats')
    ? [{ name: 'nats', open: () => openNatsBus(ENGINE_URLS.nats!, adapterDeps('nats')) }]
    : []),
];

describe('subjectMatches', () => {
  it('follows NATS wildcard rules', () => {
    expect(subjectMatches('kaif.ev.chat.*', 'kaif.ev.chat.1')).toBe(true);
    expect(subjectMatches('kaif.ev.chat.*', 'kaif.ev.chat.1.x')).toBe(false);
    expect(subjectMatches('kaif.ev.>', 'kaif.ev.chat.1.x')).toBe(true);
    expect(subjectMatches('kaif.ev.>', 'kaif.ev')).toBe(false);
    expect(subjectMatches('kaif.live.chat.1', 'kaif.live.chat.1')).toBe(true);
  });
});

for (const implementation of IMPLEMENTATIONS) {
  describe(`bus contract: ${implementation.name}`, () => {
    const buses: Bus[] = [];
    const open = async () => {
      const bus = await implementation.open();
      buses.push(bus);
      return bus;
    };
    afterAll(async () => {
      for (const bus of buses) await bus.close();
    });
    // Unique subjects keep test files sharing one NATS server apart.
    const unique = () => randomUUID().replaceAll('-', '');

    it('delivers live messages to matching subscribers only, in order, as copies', async () => {
      const bus = await open();
      const topic = unique();
      const received: BusPayload[] = [];
      const other: BusPayload[] = [];
      const unsubscribe = bus.subscribe(`kaif.live.${topic}.*`, (payload) => received.push(payload));
      bus.subscribe(`kaif.live.${unique()}.a`, (payload) => other.push(payload));
      const sent = { n: 0, nested: { list: [1, 2] } };
      for (let n = 0; n < 20; n++) bus.publish(`kaif.live.${topic}.a`, { ...sent, n });
      await eventually(() => received.length === 20);
      expect(received.map((payload) => (payload as { n: number }).n)).toEqual([...Array(20).keys()]);
      expect(received[0]).toEqual({ n: 0, nested: { list: [1, 2] } });
      expect(received[0]).not.toBe(sent);
      unsubscribe();
      bus.publish(`kaif.live.${topic}.a`, { n: 99 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(received).toHaveLength(20);
      expect(other).toHaveLength(0);
    });

    it('runs handlers outside the publisher’s async context, as a network would', async () => {
      const bus = await open();
      const topic = unique();
      const publisher = new AsyncLocalStorage<string>();
      const seen: (string | undefined)[] = [];
      bus.subscribe(`kaif.live.${topic}`, () => seen.push(publisher.getStore()));
      const stop = await bus.consume(`ctx-${topic}`, `kaif.ev.${topic}`, async () => {
        seen.push(publisher.getStore());
      });
      await publisher.run('inside a transaction', async () => {
        bus.publish(`kaif.live.${topic}`, { n: 1 });
        await bus.publishDurable(`kaif.ev.${topic}`, unique(), { n: 2 });
      });
      await eventually(() => seen.length === 2);
      expect(seen).toEqual([undefined, undefined]);
      await stop();
    });

    it('delivers durable events to live subscribers too', async () => {
      const bus = await open();
      const subject = `kaif.ev.test.${unique()}`;
      const received: BusPayload[] = [];
      bus.subscribe(subject, (payload) => received.push(payload));
      await bus.publishDurable(subject, randomUUID(), { hello: 'world' });
      await eventually(() => received.length === 1);
      expect(received[0]).toEqual({ hello: 'world' });
    });

    it('gives a durable consumer every event in order, including those published before it started, once per id', async () => {
      const bus = await open();
      const subject = `kaif.ev.test.${unique()}`;
      const firstId = randomUUID();
      await bus.publishDurable(subject, firstId, { n: 1 });
      await bus.publishDurable(subject, firstId, { n: 1 });
      await bus.publishDurable(subject, randomUUID(), { n: 2 });
      const received: number[] = [];
      const stop = await bus.consume(`test-${unique()}`, subject, async (payload) => {
        received.push((payload as { n: number }).n);
      });
      await bus.publishDurable(subject, randomUUID(), { n: 3 });
      await eventually(() => received.length === 3);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(received).toEqual([1, 2, 3]);
      stop();
    });

    it('starts a consumer opened with startAt new after the events already stored', async () => {
      const bus = await open();
      const subject = `kaif.ev.test.${unique()}`;
      await bus.publishDurable(subject, randomUUID(), { n: 1 });
      const received: number[] = [];
      const stop = await bus.consume(
        `test-${unique()}`,
        subject,
        async (payload) => {
          received.push((payload as { n: number }).n);
        },
        { startAt: 'new', forgetAfterMs: 60_000 },
      );
      await bus.publishDurable(subject, randomUUID(), { n: 2 });
      await eventually(() => received.length === 1);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(received).toEqual([2]);
      stop();
    });

    it('stores a batch in list order, each id once, and reports every event stored', async () => {
      const bus = await open();
      const topic = unique();
      const repeated = randomUUID();
      await bus.publishDurable(`kaif.ev.test.${topic}.a`, repeated, { n: -1 });
      const events = Array.from({ length: 200 }, (_, n) => ({
        subject: `kaif.ev.test.${topic}.${n % 2 === 0 ? 'a' : 'b'}`,
        id: n === 100 ? repeated : randomUUID(),
        payload: { n },
      }));
      expect(await bus.publishDurableBatch(events)).toEqual({ stored: 200 });
      const received: number[] = [];
      const stop = await bus.consume(`test-${unique()}`, `kaif.ev.test.${topic}.*`, async (payload) => {
        received.push((payload as { n: number }).n);
      });
      await eventually(() => received.length === 200);
      expect(received).toEqual([-1, ...[...Array(200).keys()].filter((n) => n !== 100)]);
      stop();
    });

    it('passes an event given as JSON text on as the payload it encodes, to live subscribers and consumers alike', async () => {
      const bus = await open();
      const subject = `kaif.ev.test.${unique()}`;
      const live: unknown[] = [];
      const unsubscribe = bus.subscribe(subject, (payload) => live.push(payload));
      const payload = { eventId: randomUUID(), body: { text: 'привет "quoted" \\ \u2028', seq: 7, nested: [null, true] } };
      expect(await bus.publishDurableBatch([{ subject, id: randomUUID(), json: JSON.stringify(payload) }])).toEqual({ stored: 1 });
      const consumed: unknown[] = [];
      const stop = await bus.consume(`test-${unique()}`, subject, async (received) => {
        consumed.push(received);
      });
      await eventually(() => live.length === 1 && consumed.length === 1);
      expect(live).toEqual([payload]);
      expect(consumed).toEqual([payload]);
      unsubscribe();
      stop();
    });

    it('reports a batch it could not store as stored up to the failure, with the reason', async () => {
      const bus = await implementation.open();
      await bus.close();
      const result = await bus.publishDurableBatch([{ subject: `kaif.ev.test.${unique()}`, id: randomUUID(), payload: { n: 1 } }]);
      expect(result.stored).toBe(0);
      expect(result.error).toBeInstanceOf(Error);
    });

    it.runIf(implementation.name === 'nats')('reports a batch on a subject no stream holds as not stored', async () => {
      const bus = await open();
      const result = await bus.publishDurableBatch([{ subject: `kaif.nostream.${unique()}`, id: randomUUID(), payload: { n: 1 } }]);
      expect(result.stored).toBe(0);
      expect(result.error?.message).toContain('no stream');
    });

    it('redelivers an event whose handler failed', async () => {
      const bus = await open();
      const subject = `kaif.ev.test.${unique()}`;
      let attempts = 0;
      const stop = await bus.consume(`test-${unique()}`, subject, async () => {
        attempts++;
        if (attempts === 1) throw new Error('transient');
      });
      await bus.publishDurable(subject, randomUUID(), { n: 1 });
      await eventually(() => attempts >= 2, 8000);
      stop();
    });
  });
}
