import { isJsonWhitespace, JsonPacketReader } from './json-packet-reader.js';
import { encodeJsonPacket } from './json-packet-writer.js';
import { encodeMsgpackFrame, MsgpackFrameReader } from './msgpack-framing.js';
import type { PacketReader, PacketReaderOptions } from './packet-reader.js';
import type { ServerPacket } from './packets.js';

export type Framing = 'json' | 'msgpack';

/**
 * A JSON stream starts with `{` or whitespace. A MessagePack frame starts with
 * the high byte of its length: 0x00 below 16 MiB, and the smallest byte JSON
 * may start with (tab, 0x09) would announce a frame of at least 144 MiB.
 */
export function detectFraming(firstByte: number): Framing {
  return firstByte === 0x7b || isJsonWhitespace(firstByte) ? 'json' : 'msgpack';
}

/** The reader for one TCP connection and the encoder for its replies, in the framing the client chose. */
export interface PacketConnection {
  readonly framing: Framing;
  readonly reader: PacketReader;
  encode(packet: ServerPacket): Uint8Array;
}

/**
 * Chooses the framing from the first bytes of a connection and returns a
 * reader that has already been fed them. `firstChunk` must not be empty.
 */
export function createPacketReader(firstChunk: Uint8Array, options: PacketReaderOptions = {}): PacketConnection {
  const firstByte = firstChunk[0];
  if (firstByte === undefined) throw new RangeError('createPacketReader needs at least one byte to choose a framing');
  const connection: PacketConnection =
    detectFraming(firstByte) === 'json'
      ? { framing: 'json', reader: new JsonPacketReader(options), encode: encodeJsonPacket }
      : { framing: 'msgpack', reader: new MsgpackFrameReader(options), encode: encodeMsgpackFrame };
  connection.reader.push(firstChunk);
  return connection;
}
