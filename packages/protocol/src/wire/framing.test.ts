import { describe, expect, it } from 'vitest';
import { createPacketReader, detectFraming } from './framing.js';
import { encodeMsgpackFrame } from './msgpack-framing.js';
import type { ServerPacket } from './packets.js';

const utf8 = new TextEncoder();
const pong: ServerPacket = { packet_type: 'Pong' };

describe('detectFraming', () => {
  it('chooses JSON for an opening brace or leading whitespace', () => {
    for (const text of ['{', ' ', '\n', '\r', '\t']) expect(detectFraming(text.charCodeAt(0))).toBe('json');
  });

  it('chooses MessagePack for the high byte of a length prefix', () => {
    expect(detectFraming(0x00)).toBe('msgpack');
    expect(detectFraming(0x01)).toBe('msgpack');
  });
});

describe('createPacketReader', () => {
  it('reads a JSON connection from its first chunk and answers in JSON lines', () => {
    const connection = createPacketReader(utf8.encode('\n{"packet_type":"Ping"}{"packet_'));
    expect(connection.framing).toBe('json');
    expect(connection.reader.drain()).toEqual([{ kind: 'packet', value: { packet_type: 'Ping' } }]);
    connection.reader.push(utf8.encode('type":"Ping"}'));
    expect(connection.reader.drain()).toHaveLength(1);
    expect(new TextDecoder().decode(connection.encode(pong))).toBe('{"packet_type":"Pong"}\n');
  });

  it('reads a MessagePack connection from its first chunk and answers in frames', () => {
    const connection = createPacketReader(encodeMsgpackFrame({ packet_type: 'Ping' }));
    expect(connection.framing).toBe('msgpack');
    expect(connection.reader.drain()).toEqual([{ kind: 'packet', value: { packet_type: 'Ping' } }]);
    expect(connection.encode(pong)).toEqual(encodeMsgpackFrame(pong));
  });

  it('applies the size limit it is given', () => {
    const connection = createPacketReader(Uint8Array.of(0, 0, 1, 0), { maxPacketBytes: 255 });
    expect(connection.reader.drain()).toMatchObject([{ code: 'PACKET_TOO_LARGE', fatal: true }]);
  });

  it('refuses an empty first chunk, which cannot choose a framing', () => {
    expect(() => createPacketReader(new Uint8Array(0))).toThrow(RangeError);
  });
});
