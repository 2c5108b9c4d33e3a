import type { ChatId } from '@kaif/protocol';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { MessagingApi } from './api.js';
import { accessOf, canPost } from './chat-access.js';
import { ChatService } from './chat-service.js';
import { FeedReader } from './feed-reader.js';
import { followEvent } from './follow-event.js';
import { LogBatcher } from './log-batcher.js';
import { MembershipService } from './membership-service.js';
import type { MessagingDeps } from './messaging-deps.js';
import { MessageService } from './message-service.js';
import { directPeerOf } from './views.js';

/** Everything the module's routes use; `api` is what other modules see. */
export interface MessagingServices {
  readonly chats: ChatService;
  readonly members: MembershipService;
  readonly messages: MessageService;
  readonly feed: FeedReader;
  /** The process's one LogBatcher, shared by every module path that appends to a chat's log. */
  readonly batcher: LogBatcher;
  readonly api: MessagingApi;
}

export function createMessagingServices(deps: MessagingDeps): MessagingServices {
  const chats = new ChatService(deps);
  // One batcher per process: every append to a chat's log joins its batches.
  const batcher = new LogBatcher(deps, deps.logBatching);
  const members = new MembershipService(deps, chats, batcher);
  const messages = new MessageService(deps, batcher);
  const feed = new FeedReader(deps.db);
  const { db } = deps;
  const api: MessagingApi = {
    sendMessage: (userId, input) => messages.send(userId, input),
    admitsSend: (chatId) => messages.admitsSend(chatId),
    listMessages: (userId, chatId, page) => messages.list(userId, chatId, page),
    markRead: (userId, chatId, seq) => messages.markRead(userId, chatId, seq),
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
    changesSince: (userId, cursor, limit) => feed.changesSince(userId, cursor, limit),
    followEvent,
  };
  return { chats, members, messages, feed, batcher, api };
}
