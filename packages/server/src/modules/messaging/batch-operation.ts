import type { ChatBatch } from './chat-batch.js';

/**
 * One change to one chat's log that the LogBatcher commits together with
 * others (a send, an edit, a delete, a read marker, a membership change).
 * The batcher drives every operation of a batch through the same steps,
 * inside one transaction:
 *
 * 1. `reads`: each operation names what it needs to see (members, messages,
 *    clientMsgIds); the batch reads all of it set-wise, one query per kind,
 *    after locking the chats once in id order;
 * 2. `apply`, in arrival order: the operation checks what it needs under the
 *    locks, as the batch stands after the operations before it (a send
 *    earlier in the batch is a message, a leave earlier in the batch is a
 *    departure), and records its changes and log events in the batch;
 * 3. the batch writes everything, one statement per table.
 *
 * `apply` throws a KaifError to fail alone; it must check everything before
 * it changes the batch, so a refused operation leaves no trace.
 */
export interface BatchOperation<T> {
  /** The chat whose log it appends to: its lane and its lock. */
  readonly chatId: string;
  reads(reads: BatchReads): void;
  apply(batch: ChatBatch): T | Promise<T>;
}

const key = (...parts: readonly string[]) => parts.join('\u0000');

/** What a batch's operations need to see; the batch reads it all set-wise, one query per kind. */
export class BatchReads {
  readonly members = new Map<string, { readonly chatId: string; readonly userId: string }>();
  readonly messageIds = new Set<string>();
  readonly clientMsgIds = new Map<string, { readonly chatId: string; readonly senderId: string; readonly clientMsgId: string }>();

  /** A user's membership (role, read marker) in a chat. */
  member(chatId: string, userId: string): void {
    this.members.set(key(chatId, userId), { chatId, userId });
  }

  /** A message by id (an operation checks itself that it is in its chat). */
  message(messageId: string): void {
    this.messageIds.add(messageId);
  }

  /** The message a sender already stored under a clientMsgId, if any. */
  clientMsgId(chatId: string, senderId: string, clientMsgId: string): void {
    this.clientMsgIds.set(key(chatId, senderId, clientMsgId), { chatId, senderId, clientMsgId });
  }
}
