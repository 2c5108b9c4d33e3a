import fc from 'fast-check';
import { ID_MAX_CHARS, MESSAGE_MAX_CHARS } from '../src/limits.js';
import { isSafeText } from '../src/text.js';
import type { PacketReader, ReaderItem } from '../src/wire/index.js';

/** Text that stresses a byte scanner: braces, quotes, escapes, multi-byte and astral characters. */
export const trickyText = fc.oneof(
  fc.string({ unit: fc.constantFrom('{', '}', '"', '\\', '\\"', ' ', '\n', 'é', '€', '😀', 'a') }),
  fc.string({ unit: 'binary' }),
);

/** Any text a client may send: every code point but NUL and lone surrogates, which the schemas refuse. */
const nonEmptyText = (maxLength: number) => fc.string({ minLength: 1, maxLength, unit: 'binary' }).filter(isSafeText);

/** Ids as original clients send them (numbers) and as newer clients send them (strings). */
export const wireId = fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), nonEmptyText(ID_MAX_CHARS));

const token = nonEmptyText(64);
const untrusted = { sender_id: wireId, user_id: wireId };

/** Raw client packets that parseClientPacket accepts, including fields it must strip. */
export const clientPacket = fc.oneof(
  fc.record({ packet_type: fc.constant('Auth'), token }),
  fc.record(
    {
      packet_type: fc.constant('SendMessage'),
      message: fc.record(
        {
          chat_id: wireId,
          content: fc.oneof(nonEmptyText(200), trickyText.filter((text) => text.length > 0 && text.length <= MESSAGE_MAX_CHARS && isSafeText(text))),
          message_type: fc.constantFrom('Text', 'Image'),
          sender_id: untrusted.sender_id,
        },
        { requiredKeys: ['chat_id', 'content'] },
      ),
      client_msg_id: nonEmptyText(36),
      token,
    },
    { requiredKeys: ['packet_type', 'message'] },
  ),
  fc.record(
    {
      packet_type: fc.constant('GetMessages'),
      chat_id: wireId,
      page: fc.integer({ min: 1, max: 1000 }),
      per_page: fc.integer({ min: 1, max: 100 }),
      token,
    },
    { requiredKeys: ['packet_type', 'chat_id'] },
  ),
  fc.record({ packet_type: fc.constant('Ping'), token }, { requiredKeys: ['packet_type'] }),
  fc.record(
    { packet_type: fc.constant('Status'), status_data: fc.constantFrom('online', 'offline', 'away'), ...untrusted, token },
    { requiredKeys: ['packet_type', 'status_data'] },
  ),
  fc.record({ packet_type: fc.constant('Typing'), chat_id: wireId, ...untrusted, token }, { requiredKeys: ['packet_type', 'chat_id'] }),
);

/** Separators the JSON framing must accept between packets. */
export const separator = fc.constantFrom('', '\n', '\r\n', ' ');

/** Cut points for splitting a byte string; reduced modulo its length, so any array fits any input. */
export const cuts = fc.array(fc.nat(), { maxLength: 12 });

/** Splits `bytes` at the given points, keeping empty chunks: readers must accept those too. */
export function splitAt(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const sorted = points.map((point) => point % (bytes.length + 1)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of sorted) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}

/** Pushes every chunk, then returns every item the reader produced, in order. */
export function readAll(reader: PacketReader, chunks: readonly Uint8Array[]): ReaderItem[] {
  const items: ReaderItem[] = [];
  for (const chunk of chunks) {
    reader.push(chunk);
    items.push(...reader.drain());
  }
  return items;
}
