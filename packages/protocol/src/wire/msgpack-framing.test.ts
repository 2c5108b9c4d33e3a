import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { clientPacket, concatBytes, cuts, readAll, splitAt } from '../../fuzz/packet-arbitraries.js';
import { encodeMsgpackFrame, MsgpackFrameReader } from './msgpack-framing.js';

function lengthPrefix(length: number): Uint8Array {
  const prefix = new Uint8Array(4);
  new DataView(prefix.buffer).setUint32(0, length);
  return prefix;
}

describe('encodeMsgpackFrame', () => {
  it('prefixes the body with its length as 4 big-endian bytes', () => {
    const frame = encodeMsgpackFrame({ packet_type: 'Pong' });
    expect(new DataView(frame.buffer, frame.byteOffset).getUint32(0)).toBe(frame.length - 4);
  });

  it('writes plain MessagePack that another encoder configuration reads back', () => {
    const frame = encodeMsgpackFrame({ packet_type: 'Ack', success: true, message_id: '42' });
    expect(new Packr({ useRecords: false, mapsAsObjects: true }).unpack(frame.subarray(4))).toEqual({
      packet_type: 'Ack',
      success: true,
      message_id: '42',
    });
  });

  it('writes an absent field as nil rather than a msgpackr extension', () => {
    const frame = encodeMsgpackFrame({ error: undefined });
    expect(frame.at(-1)).toBe(0xc0);
  });
});

describe('MsgpackFrameReader', () => {
  it('reads frames back to back, split inside the length prefix and the body', () => {
    const stream = concatBytes([encodeMsgpackFrame({ packet_type: 'Ping' }), encodeMsgpackFrame({ packet_type: 'Typing', chat_id: 5 })]);
    const items = readAll(new MsgpackFrameReader(), splitAt(stream, [1, 3, 6, 20, 22]));
    expect(items).toEqual([
      { kind: 'packet', value: { packet_type: 'Ping' } },
      { kind: 'packet', value: { packet_type: 'Typing', chat_id: 5 } },
    ]);
  });

  it('reports a body that is not MessagePack and reads the next frame normally', () => {
    const truncatedString = Uint8Array.of(0xa5, 0x61);
    const stream = concatBytes([lengthPrefix(2), truncatedString, lengthPrefix(0), encodeMsgpackFrame({ packet_type: 'Ping' })]);
    expect(readAll(new MsgpackFrameReader(), [stream])).toEqual([
      { kind: 'error', code: 'MALFORMED_PACKET', message: 'frame body is not valid MessagePack', fatal: false },
      { kind: 'error', code: 'MALFORMED_PACKET', message: 'frame has an empty body', fatal: false },
      { kind: 'packet', value: { packet_type: 'Ping' } },
    ]);
  });

  it('reports trailing bytes after the value as a malformed frame', () => {
    const body = encodeMsgpackFrame({ packet_type: 'Ping' }).subarray(4);
    const stream = concatBytes([lengthPrefix(body.length + 1), body, Uint8Array.of(0x01)]);
    expect(readAll(new MsgpackFrameReader(), [stream])).toMatchObject([{ kind: 'error', code: 'MALFORMED_PACKET' }]);
  });

  it('fails fatally on a length above the limit before any body arrives, then ignores input', () => {
    const reader = new MsgpackFrameReader({ maxPacketBytes: 1024 });
    reader.push(concatBytes([encodeMsgpackFrame({ packet_type: 'Ping' }), lengthPrefix(1025)]));
    expect(reader.drain()).toEqual([
      { kind: 'packet', value: { packet_type: 'Ping' } },
      { kind: 'error', code: 'PACKET_TOO_LARGE', message: 'frame of 1025 bytes exceeds 1024 bytes', fatal: true },
    ]);
    reader.push(encodeMsgpackFrame({ packet_type: 'Ping' }));
    expect(reader.drain()).toEqual([]);
  });

  it('decodes 64-bit integers as bigint so large ids keep every digit', () => {
    const id = 2n ** 63n - 1n;
    expect(readAll(new MsgpackFrameReader(), [encodeMsgpackFrame({ chat_id: id })])).toEqual([
      { kind: 'packet', value: { chat_id: id } },
    ]);
  });

  it('does not let a __proto__ key change the decoded object’s prototype', () => {
    const body = new Packr({ useRecords: false }).pack(JSON.parse('{"__proto__":{"polluted":true}}'));
    const [item] = readAll(new MsgpackFrameReader(), [concatBytes([lengthPrefix(body.length), body])]);
    expect(item?.kind).toBe('packet');
    expect(Object.getPrototypeOf(item?.kind === 'packet' ? item.value : null)).toBe(Object.prototype);
  });

  it('reads any sequence of frames however the bytes are split', () => {
    fc.assert(
      fc.property(fc.array(clientPacket, { maxLength: 8 }), cuts, (packets, points) => {
        const stream = concatBytes(packets.map((packet) => encodeMsgpackFrame(packet)));
        const items = readAll(new MsgpackFrameReader(), splitAt(stream, points));
        expect(items).toEqual(packets.map((packet) => ({ kind: 'packet', value: packet })));
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on arbitrary bytes, and stops after its first fatal error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), cuts, (stream, points) => {
        const items = readAll(new MsgpackFrameReader({ maxPacketBytes: 128 }), splitAt(stream, points));
        const fatal = items.findIndex((item) => item.kind === 'error' && item.fatal);
        expect(fatal === -1 || fatal === items.length - 1).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
