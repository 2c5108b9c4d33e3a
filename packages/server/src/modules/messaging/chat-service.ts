import { randomUUID } from 'node:crypto';
import { CREATE_MAX_MEMBERS, type ChatListItemView as ChatListItem, type ChatView, GROUP_MAX_MEMBERS, normalizeDisplayText } from '@kaif/protocol';
import { sql } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { ChatRole, ChatType, Message } from './api.js';
import { accessOf, isAdminRole, membersOf } from './chat-access.js';
import { type EventDraft, type LockedChat, appendEvents, audienceOf, lockChat } from './event-log.js';
import { type MessagingDeps, requireUsers } from './messaging-deps.js';
import { CHAT_COLUMNS, type ChatRow, type MessageRow, toChat, toMessage } from './views.js';

export interface CreateChatInput {
  readonly type: ChatType;
  readonly title?: string;
  readonly memberIds?: readonly string[];
}

/** Chats as a whole: creating, listing, reading, renaming. */
export class ChatService {
  constructor(private readonly deps: MessagingDeps) {}

  /**
   * Creates a chat with the caller as owner (direct chats: two plain members).
   * A direct chat is unique per pair of users: a second create, even a
   * concurrent one, returns the first with `created: false`.
   */
  async create(userId: string, input: CreateChatInput): Promise<{ readonly chat: ChatView; readonly created: boolean }> {
    const others = [...new Set(input.memberIds ?? [])].filter((id) => id !== userId);
    if (others.length > CREATE_MAX_MEMBERS) {
      throw new KaifError('VALIDATION_FAILED', `memberIds holds at most ${CREATE_MAX_MEMBERS} users`, { field: 'memberIds' });
    }
    if (input.type === 'direct' && others.length !== 1) {
      throw new KaifError('VALIDATION_FAILED', 'memberIds must name exactly one other user for a direct chat', {
        field: 'memberIds',
      });
    }
    // A secret chat's title would be plaintext the server keeps: it has none (members name it on their devices).
    const title = input.type === 'direct' || input.type === 'secret' ? null : normalizeDisplayText(input.title ?? '');
    if (title === '') {
      throw new KaifError('VALIDATION_FAILED', 'title is required for groups and channels', { field: 'title' });
    }
    if ((input.type === 'group' || input.type === 'secret') && others.length + 1 > GROUP_MAX_MEMBERS) throw new KaifError('CHAT_MEMBER_LIMIT');
    await requireUsers(this.deps, others, 'memberIds');

    const id = randomUUID();
    const at = new Date();
    const [low, high] = input.type === 'direct' ? [userId, others[0]!].sort() : [null, null];
    const created = await this.deps.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('messaging.chats')
        .values({
          id,
          type: input.type,
          title,
          description: null,
          direct_low: low ?? null,
          direct_high: high ?? null,
          member_count: others.length + 1,
          last_seq: 0,
          last_broadcast_seq: 0,
          created_by: userId,
          created_at: at,
          mls_epoch: input.type === 'secret' ? 0 : null,
        })
        .onConflict((conflict) => conflict.columns(['direct_low', 'direct_high']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) return false;
      const members: { userId: string; role: ChatRole }[] = [
        { userId, role: input.type === 'direct' ? 'member' : 'owner' },
        ...others.map((other) => ({ userId: other, role: 'member' as const })),
      ];
      await trx
        .insertInto('messaging.members')
        .values(members.map((member) => ({ chat_id: id, user_id: member.userId, role: member.role, read_seq: 0, joined_at: at })))
        .execute();
      const chat: LockedChat = {
        id,
        type: input.type,
        title: null,
        description: null,
        lastSeq: 0,
        lastBroadcastSeq: 0,
        memberCount: members.length,
      };
      // Each join is seen by everyone who is in the chat by then.
      const drafts = members.map((member, index): EventDraft => {
        const onlyFor = input.type === 'channel' ? member.userId : undefined;
        return {
          type: 'chat.member',
          data: { userId: member.userId, change: 'joined', role: member.role },
          onlyFor,
          audience: audienceOf(
            input.type,
            members.slice(0, index + 1).map((joined) => joined.userId),
            { onlyFor, concerns: member.userId },
          ),
        };
      });
      await appendEvents(trx, chat, drafts, at);
      return true;
    });
    if (created) this.deps.committed();
    if (created) return { chat: await this.get(userId, id), created: true };
    const existing = await this.deps.db
      .selectFrom('messaging.chats')
      .select('id')
      .where('direct_low', '=', low)
      .where('direct_high', '=', high)
      .executeTakeFirstOrThrow();
    return { chat: await this.get(userId, existing.id), created: false };
  }

  async get(userId: string, chatId: string): Promise<ChatView> {
    const access = await accessOf(this.deps.db, userId, chatId);
    return toChat(access.chat, userId, access.role);
  }

  /**
   * Every chat of the user with its last message and unread count, in one
   * query, most recently active first.
   */
  async list(userId: string): Promise<ChatListItem[]> {
    const chatColumns = sql.join(CHAT_COLUMNS.map((column) => sql.ref(`c.${column}`)));
    const result = await sql<
      ChatRow & { role: ChatRole; unread: number; read_seq: number; peer_read_seq: number; last_message: MessageRow | null }
    >`
      select ${chatColumns}, m.role, coalesce(u.unread, 0)::int as unread, to_jsonb(lm) as last_message,
             m.read_seq,
             -- Read receipts: how far the others have read. Channels keep
             -- reading private (and never scan their subscribers).
             case when c.type = 'channel' then 0 else (
               select coalesce(max(o.read_seq), 0) from messaging.members o
               where o.chat_id = c.id and o.user_id <> m.user_id
             ) end as peer_read_seq
      from messaging.members m
      join messaging.chats c on c.id = m.chat_id
      left join lateral (
        select x.id, x.chat_id, x.seq, x.sender_id, x.client_msg_id, x.text, x.reply_to_id, x.forwarded_from,
               x.created_at, x.edited_at, x.deleted_at,
               -- A transfer message's payload (text is null), for the list's preview.
               case when x.text is null then (select t.transfer from messaging.transfer_messages t where t.message_id = x.id) end as transfer
        from messaging.messages x
        where x.chat_id = c.id and x.deleted_at is null
        order by x.seq desc limit 1
      ) lm on true
      left join lateral (
        select count(*) as unread from messaging.messages x
        where x.chat_id = c.id and x.seq > m.read_seq and x.sender_id <> m.user_id and x.deleted_at is null
      ) u on true
      where m.user_id = ${userId}
      order by coalesce(lm.created_at, c.created_at) desc, c.id`.execute(this.deps.db);
    return result.rows.map(({ role, unread, read_seq, peer_read_seq, last_message, ...chat }) => ({
      ...toChat(chat, userId, role),
      lastMessage: last_message ? withTransfer(toMessage(last_message), (last_message as { transfer?: Message['transfer'] | null }).transfer) : null,
      unreadCount: Number(unread),
      readSeq: Number(read_seq),
      peerReadSeq: Number(peer_read_seq),
    }));
  }

  /** Renames or redescribes a group or channel; owner and admins only. */
  async update(userId: string, chatId: string, changes: { readonly title?: string; readonly description?: string }): Promise<ChatView> {
    await accessOf(this.deps.db, userId, chatId);
    const title = changes.title === undefined ? undefined : normalizeDisplayText(changes.title);
    if (title === '') throw new KaifError('VALIDATION_FAILED', 'title must not be blank', { field: 'title' });
    await this.deps.db.transaction().execute(async (trx) => {
      const chat = await lockChat(trx, chatId);
      const members = chat ? await membersOf(trx, chatId) : [];
      const role = members.find((member) => member.userId === userId)?.role;
      if (!chat || !role) throw new KaifError('CHAT_NOT_FOUND');
      if (chat.type === 'direct') throw new KaifError('CHAT_TYPE_MISMATCH', 'Direct chats have no title');
      if (!isAdminRole(role)) throw new KaifError('CHAT_ADMIN_REQUIRED');
      const next = { title: title ?? chat.title, description: changes.description ?? chat.description };
      if (next.title === chat.title && next.description === chat.description) return;
      await trx.updateTable('messaging.chats').set(next).where('id', '=', chatId).execute();
      await appendEvents(
        trx,
        chat,
        [{ type: 'chat.updated', data: next, audience: audienceOf(chat.type, members.map((member) => member.userId)) }],
        new Date(),
      );
    });
    this.deps.committed();
    return this.get(userId, chatId);
  }
}

const withTransfer = (message: Message, transfer: Message['transfer'] | null | undefined): Message => (transfer ? { ...message, transfer } : message);
