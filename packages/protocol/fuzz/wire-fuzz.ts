/**
 * Bounded-time fuzzing of both CosmicProto framings:
 *
 *   npx tsx packages/protocol/fuzz/wire-fuzz.ts --seconds 20 [--seed 42]
 *
 * Inputs are valid packet streams (JSON with random separators, or MessagePack
 * frames) with random byte mutations, plus plain random bytes, pushed in
 * random chunks through framing negotiation, both readers and
 * parseClientPacket. A crash is any exception, an item after a fatal error,
 * or a failure to re-encode an accepted packet. Exits 1 on the first crash,
 * after fast-check has shrunk it to a minimal input.
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import {
  createPacketReader,
  encodeJsonPacket,
  encodeMsgpackFrame,
  JsonPacketReader,
  MAX_PACKET_BYTES,
  MsgpackFrameReader,
  type PacketReader,
  parseClientPacket,
  type ReaderItem,
} from '../src/wire/index.js';
import { clientPacket, concatBytes, cuts, readAll, separator, splitAt } from './packet-arbitraries.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, seed: { type: 'string' } } });
const seconds = Number(values.seconds);
const seed = values.seed === undefined ? Date.now() : Number(values.seed);
if (!(seconds > 0) || !Number.isInteger(seed)) {
  console.error('usage: wire-fuzz.ts --seconds <positive number> [--seed <integer>]');
  process.exit(2);
}

const utf8 = new TextEncoder();

const jsonStream = fc
  .array(fc.tuple(clientPacket, separator), { maxLength: 6 })
  .map((packets) => utf8.encode(packets.map(([packet, gap]) => JSON.stringify(packet) + gap).join('')));

const msgpackStream = fc
  .array(clientPacket, { maxLength: 6 })
  .map((packets) => concatBytes(packets.map((packet) => encodeMsgpackFrame(packet))));

type Mutation =
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly count: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set'), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert'),
    at: fc.nat(),
    bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.constantFrom(...['{', '}', '"', '\\', '\n'].map((text) => utf8.encode(text)))),
  }),
  fc.record({ kind: fc.constant('delete'), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
);

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let result = bytes;
  for (const change of mutations) {
    const at = change.at % (result.length + 1);
    if (change.kind === 'set') {
      if (at < result.length) {
        result = Uint8Array.from(result);
        result[at] = change.byte;
      }
    } else if (change.kind === 'insert') {
      result = concatBytes([result.subarray(0, at), change.bytes, result.subarray(at)]);
    } else {
      result = concatBytes([result.subarray(0, at), result.subarray(at + change.count)]);
    }
  }
  return result;
}

const input = fc.record({
  stream: fc.oneof(
    fc.tuple(fc.oneof(jsonStream, msgpackStream), fc.array(mutation, { maxLength: 4 })).map(([bytes, changes]) => mutate(bytes, changes)),
    fc.uint8Array({ maxLength: 256 }),
  ),
  points: cuts,
  maxPacketBytes: fc.constantFrom(16, 256, MAX_PACKET_BYTES),
});

function checkItems(items: readonly ReaderItem[]): void {
  items.forEach((item, index) => {
    if (item.kind === 'error') {
      if (item.fatal && index !== items.length - 1) throw new Error(`item after fatal ${item.code}`);
      return;
    }
    const parsed = parseClientPacket(item.value);
    if (parsed.ok) {
      encodeJsonPacket(parsed.packet);
      encodeMsgpackFrame(parsed.packet);
    }
  });
}

let inputs = 0;
const started = performance.now();
const elapsed = () => ((performance.now() - started) / 1000).toFixed(1);

try {
  fc.assert(
    fc.property(input, ({ stream, points, maxPacketBytes }) => {
      inputs++;
      const chunks = splitAt(stream, points).filter((chunk) => chunk.length > 0);
      const readers: PacketReader[] = [new JsonPacketReader({ maxPacketBytes }), new MsgpackFrameReader({ maxPacketBytes })];
      for (const reader of readers) checkItems(readAll(reader, chunks));
      const [first, ...rest] = chunks;
      if (first !== undefined) {
        const { reader } = createPacketReader(first, { maxPacketBytes });
        checkItems([...reader.drain(), ...readAll(reader, rest)]);
      }
    }),
    { seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: seconds * 1000 },
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  console.log(`wire fuzz: ${inputs} inputs, 1 crash in ${elapsed()} s`);
  console.log(`seed ${seed}`);
  process.exit(1);
}
const total = elapsed();
console.log(`wire fuzz: ${inputs} inputs, 0 crashes in ${total} s`);
console.log(`seed ${seed}, ${Math.round(inputs / Number(total))} inputs/s`);
