import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientPacket } from '../../fuzz/packet-arbitraries.js';
import { parseClientPacket } from './parse-client-packet.js';

describe('parseClientPacket', () => {
  it('accepts the original client’s SendMessage, turning the numeric chat id into a string', () => {
    const parsed = parseClientPacket({
      packet_type: 'SendMessage',
      message: { chat_id: 1, sender_id: 1, content: 'Hello!', message_type: 'Text' },
    });
    expect(parsed).toEqual({
      ok: true,
      packet: { packet_type: 'SendMessage', message: { chat_id: '1', content: 'Hello!', message_type: 'Text' } },
    });
  });

  it('drops a client-supplied user_id and any field the schema does not name', () => {
    const parsed = parseClientPacket({ packet_type: 'Status', user_id: 1, status_data: 'online', admin: true });
    expect(parsed).toEqual({ ok: true, packet: { packet_type: 'Status', status_data: 'online' } });
  });

  it('keeps every digit of a 64-bit id that arrived as a MessagePack bigint', () => {
    const parsed = parseClientPacket({ packet_type: 'Typing', chat_id: 2n ** 63n - 1n });
    expect(parsed).toEqual({ ok: true, packet: { packet_type: 'Typing', chat_id: '9223372036854775807' } });
  });

  it('accepts a token on any packet, as UDP clients send one with each datagram', () => {
    expect(parseClientPacket({ packet_type: 'Ping', token: 'jwt' })).toEqual({
      ok: true,
      packet: { packet_type: 'Ping', token: 'jwt' },
    });
  });

  it('names a missing nested field', () => {
    expect(parseClientPacket({ packet_type: 'SendMessage', message: { content: 'hi' } })).toEqual({
      ok: false,
      error: { code: 'VALIDATION_FAILED', message: 'message.chat_id: required', field: 'message.chat_id' },
    });
  });

  it('refuses a numeric id JSON cannot hold exactly, rather than storing a rounded one', () => {
    expect(parseClientPacket({ packet_type: 'GetMessages', chat_id: 2 ** 53 })).toEqual({
      ok: false,
      error: {
        code: 'VALIDATION_FAILED',
        message: 'chat_id: expected an id: a non-empty string or a non-negative integer',
        field: 'chat_id',
      },
    });
  });

  it('lists the allowed presence statuses when given another', () => {
    expect(parseClientPacket({ packet_type: 'Status', status_data: 'busy' })).toMatchObject({
      ok: false,
      error: { message: 'status_data: expected one of online, offline, away', field: 'status_data' },
    });
  });

  it('refuses page numbers below one', () => {
    expect(parseClientPacket({ packet_type: 'GetMessages', chat_id: '1', page: 0 })).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', field: 'page' },
    });
  });

  it('tells an unknown packet type apart from a malformed packet', () => {
    expect(parseClientPacket({ packet_type: 'Ack', success: true })).toEqual({
      ok: false,
      error: {
        code: 'UNKNOWN_PACKET_TYPE',
        message: 'packet_type: expected one of Auth, SendMessage, GetMessages, Ping, Status, Typing',
        field: 'packet_type',
      },
    });
    expect(parseClientPacket({ token: 't' })).toMatchObject({ ok: false, error: { message: 'packet_type: required' } });
    expect(parseClientPacket({ packet_type: 'toString' })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_PACKET_TYPE' } });
  });

  it('refuses a packet that is not an object', () => {
    for (const value of [null, 42, 'Ping', [{ packet_type: 'Ping' }]]) {
      expect(parseClientPacket(value)).toEqual({
        ok: false,
        error: { code: 'VALIDATION_FAILED', message: 'packet: expected an object' },
      });
    }
  });

  it('leaves its input untouched', () => {
    const input = { packet_type: 'Typing', chat_id: 3, user_id: 9 };
    parseClientPacket(input);
    expect(input).toEqual({ packet_type: 'Typing', chat_id: 3, user_id: 9 });
  });

  it('ignores deeply nested junk in fields it does not know instead of walking it', () => {
    let junk: unknown = 0;
    for (let depth = 0; depth < 100_000; depth++) junk = [junk];
    expect(parseClientPacket({ packet_type: 'Ping', junk })).toEqual({ ok: true, packet: { packet_type: 'Ping' } });
  });

  it('accepts every valid packet with string ids and no untrusted identity fields', () => {
    fc.assert(
      fc.property(clientPacket, (raw) => {
        const parsed = parseClientPacket(raw);
        if (!parsed.ok) throw new Error(parsed.error.message);
        const { packet } = parsed;
        expect(packet.packet_type).toBe(raw.packet_type);
        expect(packet).not.toHaveProperty('user_id');
        expect(packet).not.toHaveProperty('sender_id');
        if (packet.packet_type === 'SendMessage') {
          expect(typeof packet.message.chat_id).toBe('string');
          expect(packet.message).not.toHaveProperty('sender_id');
        } else if ('chat_id' in packet) {
          expect(typeof packet.chat_id).toBe('string');
        }
      }),
      { numRuns: 200 },
    );
  });
});
