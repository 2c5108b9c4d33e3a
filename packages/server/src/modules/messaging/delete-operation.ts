import { KaifError } from '../../platform/http/kaif-error.js';
import type { Message } from './api.js';
import type { BatchOperation, BatchReads } from './batch-operation.js';
import type { ChatBatch } from './chat-batch.js';
import { isAdminRole } from './chat-access.js';
import { withoutMedia } from './views.js';

/**
 * The sender, or the chat's owner or an admin, deletes a message. Its text
 * leaves storage: the row keeps a tombstone, the log's earlier events about
 * the message lose their text too, and a message.deleted event is appended.
 */
export class DeleteOperation implements BatchOperation<Message> {
  constructor(
    readonly chatId: string,
    private readonly userId: string,
    private readonly messageId: string,
  ) {}

  reads(reads: BatchReads): void {
    reads.member(this.chatId, this.userId);
    reads.message(this.messageId);
  }

  apply(batch: ChatBatch): Message {
    const chat = batch.chat(this.chatId);
    const member = chat && batch.member(chat.id, this.userId);
    if (!chat || !member) throw new KaifError('CHAT_NOT_FOUND');
    // A secret chat's log is the MLS group's history: every device replays all of it, so nothing in it changes.
    if (chat.type === 'secret') throw new KaifError('CHAT_TYPE_MISMATCH', 'Messages of a secret chat cannot be edited or deleted');
    const current = batch.message(this.messageId);
    if (!current || current.chatId !== chat.id || current.deleted) throw new KaifError('MESSAGE_NOT_FOUND');
    if (current.senderId !== this.userId && !isAdminRole(member.role)) throw new KaifError('MESSAGE_AUTHOR_REQUIRED');
    const tombstone: Message = { ...withoutMedia(current), text: null, deleted: true };
    batch.changeMessage(tombstone);
    batch.append(chat, { type: 'message.deleted', data: { ...tombstone }, messageId: tombstone.id, audience: batch.audience(chat) });
    return tombstone;
  }
}
