import { ClientMsgId, HISTORY_MAX_LIMIT, MEDIA_PER_MESSAGE_MAX, MessageText, lengthProblem } from '@kaif/protocol';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { UserId } from '@kaif/protocol';
import type { MediaResolver, Message, SendInput } from './api.js';
import { accessOf } from './chat-access.js';
import { DeleteOperation } from './delete-operation.js';
import { EditOperation } from './edit-operation.js';
import type { LogBatcher } from './log-batcher.js';
import type { MessagingDeps } from './messaging-deps.js';
import { ReadOperation } from './read-operation.js';
import { withCiphertexts } from './secret-ciphertexts.js';
import { type SendOutcome, SendOperation } from './send-operation.js';
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
 * operation, not its batch (see LogBatcher).
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
  private resolveMedia: MediaResolver | undefined;

  constructor(
    private readonly deps: MessagingDeps,
    private readonly batcher: LogBatcher,
  ) {}

  send(userId: string, input: SendInput): Promise<SendOutcome> {
    return this.sendInto(userId, input, null);
  }

  useMediaResolver(resolver: MediaResolver): void {
    this.resolveMedia = resolver;
  }

  /**
   * Idempotent on (chat, sender, clientMsgId): a retry — in the same batch,
   * an earlier one or a concurrent one on another node — is answered with
   * the first message and stores nothing. What can be checked without the
   * database is checked here; the rest is checked under the chat lock by
   * the batch (see SendOperation).
   */
  private async sendInto(userId: string, input: SendInput, forwardedFrom: Message['forwardedFrom']): Promise<SendOutcome> {
    const mediaIds = input.mediaIds ?? [];
    // With media the text is a caption, and may be empty.
    if (mediaIds.length === 0 || input.text !== '') checkText(input.text);
    checkClientMsgId(input.clientMsgId);
    if (!isUuid(input.chatId)) throw new KaifError('CHAT_NOT_FOUND');
    const replyToId = input.replyToId ?? null;
    if (replyToId !== null && !isUuid(replyToId)) {
      throw new KaifError('VALIDATION_FAILED', 'replyToId must name a message of this chat', { field: 'replyToId' });
    }
    const media = mediaIds.length > 0 ? [...(await this.mediaFor(userId, mediaIds))] : undefined;
    return this.batcher.submit(new SendOperation({ userId, input: { ...input, replyToId }, forwardedFrom, media }));
  }

  private mediaFor(userId: string, mediaIds: NonNullable<SendInput['mediaIds']>): ReturnType<MediaResolver> {
    if (mediaIds.length > MEDIA_PER_MESSAGE_MAX || new Set(mediaIds).size !== mediaIds.length) {
      throw new KaifError('VALIDATION_FAILED', `mediaIds must name 1 to ${MEDIA_PER_MESSAGE_MAX} different media`, { field: 'mediaIds' });
    }
    if (!this.resolveMedia) throw new KaifError('VALIDATION_FAILED', 'this server does not take media', { field: 'mediaIds' });
    return this.resolveMedia(userId as UserId, mediaIds);
  }

  /** False while sends into this chat would be refused for want of room (see LogBatcher.admits). */
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
      return withCiphertexts(this.deps.db, rows.map(toMessage));
    }
    if (page.before !== undefined) query = query.where('seq', '<', page.before);
    const rows = await query.orderBy('seq', 'desc').limit(limit).execute();
    return withCiphertexts(this.deps.db, rows.map(toMessage));
  }

  /** The sender edits their message; everyone sees message.edited with the new text (see EditOperation). */
  async edit(userId: string, chatId: string, messageId: string, text: string): Promise<Message> {
    checkText(text);
    if (!isUuid(chatId)) throw new KaifError('CHAT_NOT_FOUND');
    if (!isUuid(messageId)) throw new KaifError('MESSAGE_NOT_FOUND');
    return this.batcher.submit(new EditOperation(chatId, userId, messageId, text));
  }

  /** The sender, or the chat's owner or an admin, deletes a message (see DeleteOperation). */
  async delete(userId: string, chatId: string, messageId: string): Promise<void> {
    if (!isUuid(chatId)) throw new KaifError('CHAT_NOT_FOUND');
    if (!isUuid(messageId)) throw new KaifError('MESSAGE_NOT_FOUND');
    await this.batcher.submit(new DeleteOperation(chatId, userId, messageId));
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
    // A secret chat's message has no text to copy (the server cannot read it).
    if (!source || source.deleted || source.text === null) throw new KaifError('MESSAGE_NOT_FOUND');
    const origin = source.forwardedFrom ?? { chatId: source.chatId, messageId: source.id, senderId: source.senderId };
    // The copy carries the same media: the forwarder can read it (they are in the source chat), and once the copy
    // is in the target chat its members can too (access follows the messages that carry a media).
    const mediaIds = source.media?.map((media) => media.id);
    return this.sendInto(
      userId,
      {
        chatId: target.toChatId as Message['chatId'],
        clientMsgId: target.clientMsgId,
        text: source.text!,
        ...(mediaIds && mediaIds.length > 0 ? { mediaIds } : {}),
      },
      origin,
    );
  }

  /** Moves the caller's read marker forward, never back (see ReadOperation). */
  async markRead(userId: string, chatId: string, seq: number): Promise<void> {
    if (!isUuid(chatId)) throw new KaifError('CHAT_NOT_FOUND');
    await this.batcher.submit(new ReadOperation(chatId, userId, seq));
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
