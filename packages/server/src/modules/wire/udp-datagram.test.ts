import { encodeMsgpackFrame } from '@kaif/protocol';
import { describe, expect, it } from 'vitest';
import { decodeDatagram, encodeDatagram } from './udp-datagram.js';

describe('UDP datagrams', () => {
  it('decodes a JSON datagram and a MessagePack one without a length prefix', () => {
    expect(decodeDatagram(Buffer.from(' {"packet_type":"Ping"}\n'))).toEqual({ ok: true, framing: 'json', value: { packet_type: 'Ping' } });
    const body = encodeMsgpackFrame({ packet_type: 'Ping' }).subarray(4);
    expect(decodeDatagram(body)).toEqual({ ok: true, framing: 'msgpack', value: { packet_type: 'Ping' } });
  });

  it('refuses a datagram holding two packets, a partial one or garbage', () => {
    for (const text of ['{"a":1}{"b":2}', '{"a":', 'hello', '{"a": nope}']) {
      expect(decodeDatagram(Buffer.from(text)).ok).toBe(false);
    }
  });

  it('answers in the framing it was asked in', () => {
    expect(Buffer.from(encodeDatagram({ packet_type: 'Pong' }, 'json')).toString()).toBe('{"packet_type":"Pong"}\n');
    expect(decodeDatagram(encodeDatagram({ packet_type: 'Pong' }, 'msgpack'))).toMatchObject({ value: { packet_type: 'Pong' } });
  });
});
