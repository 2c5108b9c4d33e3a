import { Value } from '@sinclair/typebox/value';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ChatId } from '../ids.js';
import { type ClientPacket, ServerPacket, type WireMessage } from './packets.js';

const message: WireMessage = {
  id: 'm1' as WireMessage['id'],
  chat_id: 'c1' as ChatId,
  seq: 1,
  sender_id: 'u1' as WireMessage['sender_id'],
  content: 'hi',
  message_type: 'Text',
  created_at: '2024-01-01T00:00:00.000Z',
};

describe('packet schemas', () => {
  it('describe every server packet the server sends', () => {
    const packets: ServerPacket[] = [
      { packet_type: 'Ack', success: true, message_id: message.id, client_msg_id: 'c-1' },
      { packet_type: 'Ack', success: false, error: 'Authenticate first' },
      { packet_type: 'Messages', chat_id: message.chat_id, messages: [message] },
      { packet_type: 'Pong' },
      { packet_type: 'NewMessage', message },
      { packet_type: 'Typing', chat_id: message.chat_id, user_id: message.sender_id },
      { packet_type: 'Status', user_id: message.sender_id, status_data: 'away' },
      { packet_type: 'Error', error: { code: 'PACKET_TOO_LARGE', message: 'packet exceeds 1048576 bytes' } },
    ];
    for (const packet of packets) expect(Value.Check(ServerPacket, packet)).toBe(true);
  });

  it('make an Ack that both succeeded and failed unrepresentable', () => {
    // @ts-expect-error a successful Ack carries no error
    const ack: ServerPacket = { packet_type: 'Ack', success: true, error: 'boom' };
    expect(ack.packet_type).toBe('Ack');
  });

  it('give validated client packets branded, read-only string ids', () => {
    expectTypeOf<Extract<ClientPacket, { packet_type: 'Typing' }>['chat_id']>().toEqualTypeOf<ChatId>();
    expectTypeOf<Extract<ClientPacket, { packet_type: 'SendMessage' }>['message']>().toHaveProperty('chat_id');
    const typing: Extract<ClientPacket, { packet_type: 'Typing' }> = { packet_type: 'Typing', chat_id: 'c1' as ChatId };
    // @ts-expect-error packets are read-only
    typing.chat_id = 'c2' as ChatId;
  });
});
