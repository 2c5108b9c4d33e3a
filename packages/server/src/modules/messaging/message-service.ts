import { ClientMsgId, HISTORY_MAX_LIMIT, MessageText, lengthProblem } from '@kaif/protocol';
import { sql } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { ChatRole, Message, SendInput } from './api.js';
import { accessOf, isAdminRole, membersOf, roleIn } from './chat-access.js';
import { type LockedChat, type MessagingTransaction, appendEvents, audienceOf, lockChat } from './event-log.js';
import type { MessagingDeps } from './messaging-deps.js';
import { type SendOutcome, SendBatcher } from './send-batcher.js';
import { MESSAGE_COLUMNS, isUuid, toMessage } from './views.js';

const DEFAULT_PAGE = 50;

export interface HistoryPage {
  readonly before?: number;
  readonly after?: number;
  readonly limit?: number;
}

/**
 * The lengths every transport's schema applies, checked again here for
 * callers inside the server, in the same words; a text of only whitespace
 * passes a schema and is refused here, for every transport. Safe text is
 * the schemas' business: a text the database refuses anyway fails its own
 * send, not its batch (see SendBatcher).
 */
function checkText(text: string): void {
  const problem = lengthProblem(MessageText, text) ?? (text.trim() ? undefined : 'must not be blank');
  if (problem) throw new KaifError('VALIDATION_FAILED', `text ${problem}`, { field: 'text' });
}

function checkClientMsgId(clientMsgId: string): void {
  const problem = lengthProblem(ClientMsgId, clientMsgId);
  if (problem) throw new KaifError('VALIDATION_FAILED', `clientMsgId ${problem}`, { field: 'clientMsgId' });
}

/** Messages: sending (idempotent by clientMsgId), history, edits, deletes, forwards, read markers. */
export class MessageService {
  private readonly batcher: SendBatcher;

  constructor(private readonly deps: MessagingDeps) {
    this.batcher = new SendBatcher(deps, deps.sendBatching);
  }

  send(userId: string, input: SendInput): Promise<SendOutcome> {
    return this.sendInto(userId, input, null);
  }

  /**
   * Idempotent on (chat, sender, clientMsgId): a retry — in the same batch,
   * an earlier one or a concurrent one on another node — is answered with
   * the first message and stores nothing. What can be checked without the
   * database is checked here; the rest is checked under the chat lock by
   * the batch (see SendBatcher).
   */
  private sendInto(userId: string, input: SendInput, forwardedFrom: Message['forwardedFrom']): Promise<SendOutcome> {
    checkText(input.text);
    checkClientMsgId(input.clientMsgId);
    if (!isUuid(input.chatId)) throw new KaifError('CHAT_NOT_FOUND');
    const replyToId = input.replyToId ?? null;
    if (replyToId !== null && !isUuid(replyToId)) {
      throw new KaifError('VALIDATION_FAILED', 'replyToId must name a message of this chat', { field: 'replyToId' });
    }
    return this.batcher.send({ userId, input: { ...input, replyToId }, forwardedFrom });
  }

  /** False while sends into this chat would be refused for want of room (see SendBatcher.admits). */
  admitsSend(chatId: string): boolean {
    return this.batcher.admits(chatId);
  }

  /** Newest first with `before` (or neither), oldest first with `after`. */
  async list(userId: string, chatId: string, page: HistoryPage): Promise<Message[]> {
    await accessOf(this.deps.db, userId, chatId);
    const limit = Math.min(Math.max(page.limit ?? DEFAULT_PAGE, 1), HISTORY_MAX_LIMIT);
    let query = this.deps.db.selectFrom('messaging.messages').select(MESSAGE_COLUMNS).where('chat_id', '=', chatId);
    if (page.after !== undefined) {
      query = query.where('seq', '>', page.after);
      if (page.before !== undefined) query = query.where('seq', '<', page.before);
      const rows = await query.orderBy('seq', 'asc').limit(limit).execute();
      return rows.map(toMessage);
    }
    if (page.before !== undefined) query = query.where('seq', '<', page.before);
    const rows = await query.orderBy('seq', 'desc').limit(limit).execute();
    return rows.map(toMessage);
  }

  /** The sender edits their message; everyone sees message.edited with the new text. */
  async edit(userId: string, chatId: string, messageId: string, text: string): Promise<Message> {
    checkText(text);
    await accessOf(this.deps.db, userId, chatId);
    const message = await this.changeMessage(userId, chatId, messageId, async (trx, chat, current, audience) => {
      if (current.senderId !== userId) throw new KaifError('MESSAGE_AUTHOR_REQUIRED');
      const at = new Date();
      await trx.updateTable('messaging.messages').set({ text, edited_at: at }).where('id', '=', messageId).execute();
      const edited: Message = { ...current, text, editedAt: at.toISOString() };
      await appendEvents(trx, chat, [{ type: 'message.edited', data: { ...edited }, messageId, audience }], at);
      return edited;
    });
    return message;
  }

  /**
   * The sender, or the chat's owner or an admin, deletes a message. Its text
   * leaves storage: the row keeps a tombstone, and earlier log events about
   * the message lose their text too.
   */
  async delete(userId: string, chatId: string, messageId: string): Promise<void> {
    await accessOf(this.deps.db, userId, chatId);
    await this.changeMessage(userId, chatId, messageId, async (trx, chat, current, audience, role) => {
      if (current.senderId !== userId && !isAdminRole(role)) throw new KaifError('MESSAGE_AUTHOR_REQUIRED');
      const at = new Date();
      await trx.updateTable('messaging.messages').set({ text: null, deleted_at: at }).where('id', '=', messageId).execute();
      await sql`
        update messaging.chat_events set payload = jsonb_set(payload, '{text}', 'null')
        where message_id = ${messageId} and chat_id = ${chatId}`.execute(trx);
      const tombstone: Message = { ...current, text: null, deleted: true };
      await appendEvents(trx, chat, [{ type: 'message.deleted', data: { ...tombstone }, messageId, audience }], at);
      return tombstone;
    });
  }

  /** Copies a message the caller can read into a chat they can post in. */
  async forward(
    userId: string,
    chatId: string,
    messageId: string,
    target: { readonly toChatId: string; readonly clientMsgId: string },
  ): Promise<SendOutcome> {
    await accessOf(this.deps.db, userId, chatId);
    const source = isUuid(messageId) ? await this.findMessage(chatId, messageId) : undefined;
    if (!source || source.deleted) throw new KaifError('MESSAGE_NOT_FOUND');
    const origin = source.forwardedFrom ?? { chatId: source.chatId, messageId: source.id, senderId: source.senderId };
    return this.sendInto(
      userId,
      { chatId: target.toChatId as Message['chatId'], clientMsgId: target.clientMsgId, text: source.text! },
      origin,
    );
  }

  /**
   * Moves the caller's read marker forward, never back; a move is a
   * chat.read event: a read receipt for every member of a direct chat or
   * group, private to the reader in a channel.
   */
  async markRead(userId: string, chatId: string, seq: number): Promise<void> {
    const access = await accessOf(this.deps.db, userId, chatId);
    if (seq <= access.readSeq) return;
    let moved = false;
    await this.deps.db.transaction().execute(async (trx) => {
      const chat = await lockChat(trx, chatId);
      if (!chat) throw new KaifError('CHAT_NOT_FOUND');
      const target = Math.min(seq, chat.lastSeq);
      const updated = await trx
        .updateTable('messaging.members')
        .set({ read_seq: sql<number>`greatest(read_seq, ${target})` })
        .where('chat_id', '=', chatId)
        .where('user_id', '=', userId)
        .where('read_seq', '<', target)
        .returning('read_seq')
        .executeTakeFirst();
      if (!updated) return;
      moved = true;
      const data = { userId, seq: updated.read_seq };
      // In direct chats and groups a read is a receipt everyone sees; a
      // channel subscriber's reading is their own business.
      const draft =
        chat.type === 'channel'
          ? { type: 'chat.read' as const, data, onlyFor: userId, audience: [userId] }
          : { type: 'chat.read' as const, data, audience: audienceOf(chat.type, await directMembersOf(trx, chat)) };
      await appendEvents(trx, chat, [draft], new Date());
    });
    if (moved) this.deps.committed();
  }

  private async changeMessage<T>(
    userId: string,
    chatId: string,
    messageId: string,
    apply: (
      trx: MessagingTransaction,
      chat: LockedChat,
      current: Message,
      audience: readonly string[],
      role: ChatRole,
    ) => Promise<T>,
  ): Promise<T> {
    if (!isUuid(messageId)) throw new KaifError('MESSAGE_NOT_FOUND');
    const result = await this.deps.db.transaction().execute(async (trx) => {
      const chat = await lockChat(trx, chatId);
      if (!chat) throw new KaifError('CHAT_NOT_FOUND');
      const role = await roleIn(trx, chatId, userId);
      if (!role) throw new KaifError('CHAT_NOT_FOUND');
      const row = await trx
        .selectFrom('messaging.messages')
        .select(MESSAGE_COLUMNS)
        .where('id', '=', messageId)
        .where('chat_id', '=', chatId)
        .executeTakeFirst();
      if (!row || row.deleted_at) throw new KaifError('MESSAGE_NOT_FOUND');
      const audience = audienceOf(chat.type, await directMembersOf(trx, chat));
      return apply(trx, chat, toMessage(row), audience, role);
    });
    this.deps.committed();
    return result;
  }

  private async findMessage(chatId: string, messageId: string): Promise<Message | undefined> {
    const row = await this.deps.db
      .selectFrom('messaging.messages')
      .select(MESSAGE_COLUMNS)
      .where('id', '=', messageId)
      .where('chat_id', '=', chatId)
      .executeTakeFirst();
    return row ? toMessage(row) : undefined;
  }
}

/** The members who get feed rows: only a direct chat's two; groups and channels are read from their log. */
async function directMembersOf(trx: MessagingTransaction, chat: LockedChat): Promise<string[]> {
  if (chat.type !== 'direct') return [];
  return (await membersOf(trx, chat.id)).map((member) => member.userId);
}
