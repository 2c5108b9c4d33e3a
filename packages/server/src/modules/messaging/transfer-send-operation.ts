import { randomUUID } from 'node:crypto';
import type { MessageTransfer } from '@kaif/protocol';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { Message } from './api.js';
import type { BatchOperation, BatchReads } from './batch-operation.js';
import type { ChatBatch } from './chat-batch.js';
import { canPost } from './chat-access.js';
import type { SendOutcome } from './send-operation.js';

/**
 * A `transfer` message: the wallet posts it, as the sender, once the money
 * moved (wallet README, "Transfers in chat"). Its row has no text; the
 * transfer rides in the event (live and catch-up) and beside the row
 * (history). Both users must be members and the sender able to post.
 * Idempotent on (chat, sender, clientMsgId) like every send, so the wallet
 * can repeat it after a crash and the chat shows the transfer once.
 */
export class TransferSendOperation implements BatchOperation<SendOutcome> {
  constructor(
    readonly chatId: string,
    private readonly clientMsgId: string,
    private readonly transfer: MessageTransfer,
  ) {}

  reads(reads: BatchReads): void {
    reads.member(this.chatId, this.transfer.fromUserId);
    reads.member(this.chatId, this.transfer.toUserId);
    reads.clientMsgId(this.chatId, this.transfer.fromUserId, this.clientMsgId);
  }

  apply(batch: ChatBatch): SendOutcome {
    const { fromUserId, toUserId } = this.transfer;
    const chat = batch.chat(this.chatId);
    const member = chat && batch.member(chat.id, fromUserId);
    if (!chat || !member) throw new KaifError('CHAT_NOT_FOUND');
    if (!canPost(chat.type, member.role)) throw new KaifError('CHAT_WRITE_FORBIDDEN');
    if (chat.type === 'secret') throw new KaifError('CHAT_TYPE_MISMATCH', 'Send money in a secret chat from the wallet, not as a message of the chat');
    const first = batch.sent(chat.id, fromUserId, this.clientMsgId);
    if (first) return { message: { ...first, transfer: this.transfer }, created: false };
    if (!batch.member(chat.id, toUserId)) throw new KaifError('MEMBER_NOT_FOUND', 'The receiver is not a member of this chat');
    const message: Message = {
      id: randomUUID() as Message['id'],
      chatId: chat.id as Message['chatId'],
      seq: batch.lastSeq(chat) + 1,
      senderId: fromUserId,
      text: null,
      replyToId: null,
      clientMsgId: this.clientMsgId,
      createdAt: batch.at.toISOString(),
      editedAt: null,
      deleted: false,
      forwardedFrom: null,
      transfer: this.transfer,
    };
    batch.addMessage(message);
    batch.addTransfer(message);
    batch.append(chat, { type: 'message.new', data: { ...message }, messageId: message.id, audience: batch.audience(chat) });
    return { message, created: true };
  }
}
