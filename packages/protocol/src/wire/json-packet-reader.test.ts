import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientPacket, cuts, readAll, separator, splitAt } from '../../fuzz/packet-arbitraries.js';
import { JsonPacketReader } from './json-packet-reader.js';

const utf8 = new TextEncoder();
const bytes = (text: string) => utf8.encode(text);

function readText(chunks: readonly string[], reader = new JsonPacketReader()) {
  return readAll(reader, chunks.map(bytes));
}

const sendMessage = {
  packet_type: 'SendMessage',
  message: { chat_id: 1, sender_id: 1, content: 'Hello!', message_type: 'Text' },
};

describe('JsonPacketReader', () => {
  it('reads packets the original client writes back to back with no separator', () => {
    const ping = { packet_type: 'Ping' };
    const items = readText([JSON.stringify(sendMessage) + JSON.stringify(ping) + JSON.stringify(sendMessage)]);
    expect(items).toEqual([
      { kind: 'packet', value: sendMessage },
      { kind: 'packet', value: ping },
      { kind: 'packet', value: sendMessage },
    ]);
  });

  it('reads newline-separated packets with surrounding whitespace', () => {
    const items = readText([' \r\n{"packet_type":"Ping"}\n\t{"packet_type":"Auth","token":"t"}\r\n  ']);
    expect(items).toEqual([
      { kind: 'packet', value: { packet_type: 'Ping' } },
      { kind: 'packet', value: { packet_type: 'Auth', token: 't' } },
    ]);
  });

  it('reassembles a packet split inside a string holding braces, escaped quotes and a multi-byte character', () => {
    const content = 'a } { \\" "quoted" 😀 é';
    const packet = { packet_type: 'SendMessage', message: { chat_id: '7', content } };
    const encoded = bytes(JSON.stringify(packet));
    const emoji = encoded.indexOf(0xf0);
    const chunks = splitAt(encoded, [encoded.indexOf(0x7d, 30), emoji + 1, emoji + 2, emoji + 3]);
    expect(readAll(new JsonPacketReader(), chunks)).toEqual([{ kind: 'packet', value: packet }]);
  });

  it('delivers a packet only once its closing brace arrives', () => {
    const reader = new JsonPacketReader();
    reader.push(bytes('{"packet_type":"Ping"'));
    expect(reader.drain()).toEqual([]);
    reader.push(bytes('}'));
    expect(reader.drain()).toEqual([{ kind: 'packet', value: { packet_type: 'Ping' } }]);
    expect(reader.drain()).toEqual([]);
  });

  it('reports a packet that is not valid JSON and goes on with the next one', () => {
    const items = readText(['{"packet_type": Ping}{"packet_type":"Ping"}']);
    expect(items).toEqual([
      { kind: 'error', code: 'MALFORMED_PACKET', message: 'packet is not valid JSON', fatal: false },
      { kind: 'packet', value: { packet_type: 'Ping' } },
    ]);
  });

  it('reports invalid UTF-8 inside a packet without giving up on the stream', () => {
    const reader = new JsonPacketReader();
    const items = readAll(reader, [bytes('{"content":"'), Uint8Array.of(0xff), bytes('"}{"packet_type":"Ping"}')]);
    expect(items.map((item) => item.kind)).toEqual(['error', 'packet']);
    expect(items[0]).toMatchObject({ code: 'MALFORMED_PACKET', fatal: false });
  });

  it('delivers a good packet, then a fatal error for garbage after it, then nothing more', () => {
    const reader = new JsonPacketReader();
    const items = readText(['{"packet_type":"Ping"}\nGET / HTTP/1.1\r\n'], reader);
    expect(items).toEqual([
      { kind: 'packet', value: { packet_type: 'Ping' } },
      { kind: 'error', code: 'MALFORMED_PACKET', message: "expected '{' to start a packet, got byte 0x47", fatal: true },
    ]);
    reader.push(bytes('{"packet_type":"Ping"}'));
    expect(reader.drain()).toEqual([]);
  });

  it('fails fatally once an unfinished packet buffers more than the limit', () => {
    const reader = new JsonPacketReader({ maxPacketBytes: 64 });
    reader.push(bytes('{"packet_type":"Ping"}'));
    reader.push(bytes(`{"content":"${'x'.repeat(40)}`));
    expect(reader.drain()).toHaveLength(1);
    reader.push(bytes('x'.repeat(40)));
    expect(reader.drain()).toEqual([
      { kind: 'error', code: 'PACKET_TOO_LARGE', message: 'packet exceeds 64 bytes', fatal: true },
    ]);
  });

  it('fails fatally on a complete packet over the limit but accepts one exactly at it', () => {
    const exact = `{"content":"${'x'.repeat(64 - 14)}"}`;
    expect(exact).toHaveLength(64);
    expect(readText([exact], new JsonPacketReader({ maxPacketBytes: 64 }))).toHaveLength(1);
    expect(readText([`${exact} {"content":"${'x'.repeat(51)}"}`], new JsonPacketReader({ maxPacketBytes: 64 }))).toEqual([
      { kind: 'packet', value: JSON.parse(exact) },
      { kind: 'error', code: 'PACKET_TOO_LARGE', message: 'packet exceeds 64 bytes', fatal: true },
    ]);
  });

  it('does not count whitespace between packets against the limit', () => {
    const reader = new JsonPacketReader({ maxPacketBytes: 32 });
    expect(readText([' '.repeat(1000), '{"packet_type":"Ping"}', '\n'.repeat(1000)], reader)).toHaveLength(1);
  });

  it('keeps its own copy of an unfinished packet, so the caller may reuse the chunk', () => {
    const reader = new JsonPacketReader();
    const chunk = bytes('{"packet_type":"Pi');
    reader.push(chunk);
    chunk.fill(0x20);
    reader.push(bytes('ng"}'));
    expect(reader.drain()).toEqual([{ kind: 'packet', value: { packet_type: 'Ping' } }]);
  });

  it('reads any sequence of packets, whatever the separators and however the bytes are split', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(clientPacket, separator), { maxLength: 8 }), cuts, (packets, points) => {
        const stream = bytes(packets.map(([packet, gap]) => JSON.stringify(packet) + gap).join(''));
        const items = readAll(new JsonPacketReader(), splitAt(stream, points));
        expect(items).toEqual(packets.map(([packet]) => ({ kind: 'packet', value: packet })));
      }),
      { numRuns: 200 },
    );
  });

  it('never throws on arbitrary bytes, and stops after its first fatal error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), cuts, (stream, points) => {
        const items = readAll(new JsonPacketReader({ maxPacketBytes: 128 }), splitAt(stream, points));
        const fatal = items.findIndex((item) => item.kind === 'error' && item.fatal);
        expect(fatal === -1 || fatal === items.length - 1).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('scans each byte once, so a packet arriving one byte at a time costs linear time', () => {
    const packet = bytes(JSON.stringify({ packet_type: 'SendMessage', message: { chat_id: 1, content: 'x'.repeat(200_000) } }));
    const reader = new JsonPacketReader();
    const started = performance.now();
    for (let i = 0; i < packet.length; i++) reader.push(packet.subarray(i, i + 1));
    expect(reader.drain()).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
