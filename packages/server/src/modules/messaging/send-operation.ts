import { randomUUID } from 'node:crypto';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Message, SendInput } from './api.js';
import type { BatchOperation, BatchReads } from './batch-operation.js';
import type { ChatBatch } from './chat-batch.js';
import { canPost } from './chat-access.js';

/** A send whose shape is already checked (ids are UUIDs, text and clientMsgId within limits). */
export interface CheckedSend {
  readonly userId: string;
  readonly input: SendInput;
  readonly forwardedFrom: Message['forwardedFrom'];
  /** The resolved `mediaIds`, in order. */
  readonly media?: Message['media'];
}

export interface SendOutcome {
  readonly message: Message;
  readonly created: boolean;
}

/**
 * A new message. Idempotent on (chat, sender, clientMsgId): a retry of a
 * send stored earlier, or earlier in the same batch, is answered with the
 * first message and stores nothing.
 */
export class SendOperation implements BatchOperation<SendOutcome> {
  readonly chatId: string;

  constructor(private readonly send: CheckedSend) {
    this.chatId = send.input.chatId;
  }

  reads(reads: BatchReads): void {
    const { userId, input } = this.send;
    reads.member(input.chatId, userId);
    reads.clientMsgId(input.chatId, userId, input.clientMsgId);
    if (input.replyToId) reads.message(input.replyToId);
  }

  apply(batch: ChatBatch): SendOutcome {
    const { userId, input, forwardedFrom, media } = this.send;
    const chat = batch.chat(input.chatId);
    const member = chat && batch.member(chat.id, userId);
    if (!chat || !member) throw new KaifError('CHAT_NOT_FOUND');
    if (!canPost(chat.type, member.role)) throw new KaifError('CHAT_WRITE_FORBIDDEN');
    if (chat.type === 'secret') {
      throw new KaifError('VALIDATION_FAILED', 'A secret chat takes ciphertext only, never text (POST /api/v1/chats/:id/secret-messages)', { field: 'text' });
    }
    const first = batch.sent(chat.id, userId, input.clientMsgId);
    if (first) return { message: first, created: false };
    const replyToId = input.replyToId ?? null;
    if (replyToId !== null && batch.message(replyToId)?.chatId !== chat.id) {
      throw new KaifError('VALIDATION_FAILED', 'replyToId must name a message of this chat', { field: 'replyToId' });
    }
    const message: Message = {
      id: randomUUID() as Message['id'],
      chatId: chat.id as Message['chatId'],
      seq: batch.lastSeq(chat) + 1,
      senderId: userId as Message['senderId'],
      text: input.text,
      replyToId,
      clientMsgId: input.clientMsgId,
      createdAt: batch.at.toISOString(),
      editedAt: null,
      deleted: false,
      forwardedFrom,
      ...(media && media.length > 0 ? { media } : {}),
    };
    batch.addMessage(message);
    batch.append(chat, { type: 'message.new', data: { ...message }, messageId: message.id, audience: batch.audience(chat) });
    return { message, created: true };
  }
}
