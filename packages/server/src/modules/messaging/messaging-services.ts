import type { ChatId, MediaId, UserId } from '@kaif/protocol';
import { sql } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { MessagingApi } from './api.js';
import { accessOf, canPost } from './chat-access.js';
import { ChatService } from './chat-service.js';
import { FeedReader } from './feed-reader.js';
import { FeedPositions } from './feed-positions.js';
import { LogBatcher } from './log-batcher.js';
import { MembershipService } from './membership-service.js';
import type { MessagingDeps } from './messaging-deps.js';
import { MessageSearch } from './message-search.js';
import { MessageService } from './message-service.js';
import { TransferSendOperation } from './transfer-send-operation.js';
import { directPeerOf, isUuid } from './views.js';

/** Everything the module's routes use; `api` is what other modules see. */
export interface MessagingServices {
  readonly chats: ChatService;
  readonly members: MembershipService;
  readonly messages: MessageService;
  readonly feed: FeedReader;
  readonly search: MessageSearch;
  /** The process's one LogBatcher, shared by every module path that appends to a chat's log. */
  readonly batcher: LogBatcher;
  /** Without sendSecret, which the module adds from its SecretService (it needs the keys module). */
  readonly api: Omit<MessagingApi, 'sendSecret'>;
}

export function createMessagingServices(deps: MessagingDeps): MessagingServices {
  const chats = new ChatService(deps);
  // One batcher per process: every append to a chat's log joins its batches.
  const batcher = new LogBatcher(deps, deps.logBatching);
  const members = new MembershipService(deps, chats, batcher);
  const messages = new MessageService(deps, batcher);
  const feed = new FeedReader(deps.db);
  const positions = new FeedPositions(deps.db);
  const search = new MessageSearch(deps);
  const { db } = deps;
  const api: Omit<MessagingApi, 'sendSecret'> = {
    sendMessage: (userId, input) => messages.send(userId, input),
    admitsSend: (chatId) => messages.admitsSend(chatId),
    async sendTransfer(chatId, clientMsgId, transfer) {
      if (!isUuid(chatId)) throw new KaifError('CHAT_NOT_FOUND');
      return batcher.submit(new TransferSendOperation(chatId, clientMsgId, transfer));
    },
    listMessages: (userId, chatId, page) => messages.list(userId, chatId, page),
    markRead: (userId, chatId, seq) => messages.markRead(userId, chatId, seq),
    useMediaResolver: (resolver) => messages.useMediaResolver(resolver),
    async mediaInUse(mediaIds) {
      if (mediaIds.length === 0) return new Set();
      // One probe of the GIN index per id.
      const rows = await sql<{ id: MediaId }>`
        select k.id from unnest(${[...mediaIds]}::text[]) as k(id)
        where exists (
          select 1 from messaging.messages m
          where m.media @> jsonb_build_array(jsonb_build_object('id', k.id)) and m.deleted_at is null)`.execute(db);
      return new Set(rows.rows.map((row) => row.id));
    },
    async canSeeMedia(userId, mediaId) {
      const row = await sql<{ found: number }>`
        select 1 as found from messaging.messages m
        join messaging.members mb on mb.chat_id = m.chat_id and mb.user_id = ${userId}
        where m.media @> ${JSON.stringify([{ id: mediaId }])}::jsonb and m.deleted_at is null
        limit 1`.execute(db);
      return row.rows.length > 0;
    },
    async assertCanPost(userId, chatId) {
      const access = await accessOf(db, userId, chatId);
      if (!canPost(access.chat.type, access.role)) throw new KaifError('CHAT_WRITE_FORBIDDEN');
    },
    async chatIdsOf(userId) {
      const rows = await db.selectFrom('messaging.members').select('chat_id').where('user_id', '=', userId).execute();
      return rows.map((row) => row.chat_id as ChatId);
    },
    async chatsOf(userId) {
      const rows = await db
        .selectFrom('messaging.members as m')
        .innerJoin('messaging.chats as c', 'c.id', 'm.chat_id')
        .select(['c.id', 'c.type', 'c.direct_low', 'c.direct_high'])
        .where('m.user_id', '=', userId)
        .execute();
      return rows.map((row) => ({ chatId: row.id as ChatId, type: row.type, peerId: directPeerOf(row, userId) }));
    },
    async sharesChat(userId, otherId) {
      const row = await db
        .selectFrom('messaging.members as mine')
        .innerJoin('messaging.members as theirs', 'theirs.chat_id', 'mine.chat_id')
        .innerJoin('messaging.chats as chat', 'chat.id', 'mine.chat_id')
        .select('mine.chat_id')
        .where('mine.user_id', '=', userId)
        .where('theirs.user_id', '=', otherId)
        .where('chat.type', 'in', ['direct', 'group', 'secret'])
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },
    async openDirectChat(userId, peerId) {
      const { chat } = await chats.create(userId, { type: 'direct', memberIds: [peerId] });
      return chat.id as ChatId;
    },
    async assertMember(userId, chatId) {
      await accessOf(db, userId, chatId);
    },
    async chatSummary(chatId) {
      if (!isUuid(chatId)) return undefined;
      const row = await db.selectFrom('messaging.chats').select(['id', 'type', 'title']).where('id', '=', chatId).executeTakeFirst();
      return row && { chatId: row.id as ChatId, type: row.type, title: row.title };
    },
    async memberIdsPage(chatId, after, limit) {
      let query = db.selectFrom('messaging.members').select('user_id').where('chat_id', '=', chatId);
      if (after !== null) query = query.where('user_id', '>', after);
      const rows = await query.orderBy('user_id').limit(limit).execute();
      return rows.map((row) => row.user_id as UserId);
    },
    changesSince: (userId, cursor, limit) => feed.changesSince(userId, cursor, limit),
    feedPosition: (userId, cursor, known) => positions.open(userId, cursor, known),
    rebaseFeedPosition: (userId, position) => positions.rebase(userId, position),
  };
  return { chats, members, messages, feed, search, batcher, api };
}
