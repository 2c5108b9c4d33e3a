import type { WireMessage } from '@kaif/protocol';
import type { Message } from '../messaging/api.js';

/**
 * CosmicProto's shape of a stored message, with its media if any. The client's
 * `message_type` is not stored, so every message reads back as `Text`, the
 * original design's only type in use.
 */
export function toWireMessage(message: Message): WireMessage {
  return {
    id: message.id,
    chat_id: message.chatId,
    seq: message.seq,
    sender_id: message.senderId,
    content: message.text ?? '',
    message_type: 'Text',
    client_msg_id: message.clientMsgId,
    created_at: message.createdAt,
    ...(message.media ? { media: message.media } : {}),
  };
}
