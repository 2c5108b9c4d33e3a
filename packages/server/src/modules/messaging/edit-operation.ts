import { KaifError } from '../../platform/http/kaif-error.js';
import type { Message } from './api.js';
import type { BatchOperation, BatchReads } from './batch-operation.js';
import type { ChatBatch } from './chat-batch.js';

/** The sender replaces their message's text; everyone who sees the chat sees message.edited with the new text. */
export class EditOperation implements BatchOperation<Message> {
  constructor(
    readonly chatId: string,
    private readonly userId: string,
    private readonly messageId: string,
    private readonly text: string,
  ) {}

  reads(reads: BatchReads): void {
    reads.member(this.chatId, this.userId);
    reads.message(this.messageId);
  }

  apply(batch: ChatBatch): Message {
    const chat = batch.chat(this.chatId);
    if (!chat || !batch.member(chat.id, this.userId)) throw new KaifError('CHAT_NOT_FOUND');
    // A secret chat's log is the MLS group's history: every device replays all of it, so nothing in it changes.
    if (chat.type === 'secret') throw new KaifError('CHAT_TYPE_MISMATCH', 'Messages of a secret chat cannot be edited or deleted');
    const current = batch.message(this.messageId);
    if (!current || current.chatId !== chat.id || current.deleted) throw new KaifError('MESSAGE_NOT_FOUND');
    if (current.senderId !== this.userId) throw new KaifError('MESSAGE_AUTHOR_REQUIRED');
    // A transfer message has no text to edit: it shows a ledger move, which stays.
    if (current.text === null) throw new KaifError('CHAT_TYPE_MISMATCH', 'A transfer message cannot be edited');
    const edited: Message = { ...current, text: this.text, editedAt: batch.at.toISOString() };
    batch.changeMessage(edited);
    batch.append(chat, { type: 'message.edited', data: { ...edited }, messageId: edited.id, audience: batch.audience(chat) });
    return edited;
  }
}
