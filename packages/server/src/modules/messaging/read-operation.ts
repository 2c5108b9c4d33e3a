import { KaifError } from '../../platform/http/kaif-error.js';
import type { BatchOperation, BatchReads } from './batch-operation.js';
import type { ChatBatch } from './chat-batch.js';

/**
 * Moves a member's read marker forward, never back, and never past the
 * chat's latest seq. A move is a chat.read event: a read receipt for every
 * member of a direct chat or group, private to the reader in a channel. A
 * marker that would not move appends nothing. Resolves to whether it moved.
 */
export class ReadOperation implements BatchOperation<boolean> {
  constructor(
    readonly chatId: string,
    private readonly userId: string,
    private readonly seq: number,
  ) {}

  reads(reads: BatchReads): void {
    reads.member(this.chatId, this.userId);
  }

  apply(batch: ChatBatch): boolean {
    const chat = batch.chat(this.chatId);
    const member = chat && batch.member(chat.id, this.userId);
    if (!chat || !member) throw new KaifError('CHAT_NOT_FOUND');
    const target = Math.min(this.seq, batch.lastSeq(chat));
    if (target <= member.readSeq) return false;
    batch.setMember(chat, this.userId, { ...member, readSeq: target });
    const data = { userId: this.userId, seq: target };
    // A channel subscriber's reading is their own business.
    const onlyFor = chat.type === 'channel' ? this.userId : undefined;
    batch.append(chat, { type: 'chat.read', data, onlyFor, audience: batch.audience(chat, { onlyFor }) });
    return true;
  }
}
