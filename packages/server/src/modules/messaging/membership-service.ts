import { type ChatView, GROUP_MAX_MEMBERS } from '@kaif/protocol';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { ChatRole } from './api.js';
import { isAdminRole, membersOf } from './chat-access.js';
import type { ChatService } from './chat-service.js';
import { type EventDraft, type LockedChat, type MessagingTransaction, appendEvents, audienceOf, lockChat } from './event-log.js';
import { type MessagingDeps, requireUsers } from './messaging-deps.js';
import { isUuid } from './views.js';

type Member = { readonly userId: string; readonly role: ChatRole };

interface MembershipChange {
  readonly chat: LockedChat;
  readonly members: readonly Member[];
  readonly actorRole: ChatRole | undefined;
}

/**
 * Who is in a chat and with which role. Groups: the owner and admins add and
 * remove members, anyone may leave. Channels: anyone with the id may join,
 * subscribers read, the owner and admins post. Direct chats never change.
 * Every change is a chat.member event: in groups every member sees it (and
 * the member who joins or leaves also gets it in their feed, which starts or
 * ends their reading of the group's log), in channels only the member
 * concerned.
 */
export class MembershipService {
  constructor(
    private readonly deps: MessagingDeps,
    private readonly chats: ChatService,
  ) {}

  async add(actorId: string, chatId: string, userId: string): Promise<ChatView> {
    await requireUsers(this.deps, [userId], 'userId');
    await this.change(actorId, chatId, async (trx, { chat, members, actorRole }) => {
      if (!actorRole) throw new KaifError('CHAT_NOT_FOUND');
      if (chat.type === 'direct') throw new KaifError('CHAT_TYPE_MISMATCH', 'Direct chats have exactly two members');
      if (!isAdminRole(actorRole)) throw new KaifError('CHAT_ADMIN_REQUIRED');
      if (members.some((member) => member.userId === userId)) return;
      await this.insertMember(trx, chat, members, userId);
    });
    return this.chats.get(actorId, chatId);
  }

  /** Channels only: anyone who knows the id subscribes. */
  async join(userId: string, chatId: string): Promise<ChatView> {
    await this.change(userId, chatId, async (trx, { chat, members, actorRole }) => {
      if (actorRole) return;
      if (chat.type !== 'channel') throw new KaifError('CHAT_NOT_FOUND');
      await this.insertMember(trx, chat, members, userId);
    });
    return this.chats.get(userId, chatId);
  }

  async leave(userId: string, chatId: string): Promise<void> {
    await this.change(userId, chatId, async (trx, { chat, members, actorRole }) => {
      if (!actorRole) throw new KaifError('CHAT_NOT_FOUND');
      if (chat.type === 'direct') throw new KaifError('CHAT_TYPE_MISMATCH', 'Direct chats cannot be left');
      await this.deleteMember(trx, chat, members, userId, 'left');
    });
  }

  /** The owner removes anyone; an admin removes plain members. Removing yourself is leaving. */
  async remove(actorId: string, chatId: string, userId: string): Promise<void> {
    if (userId === actorId) return this.leave(actorId, chatId);
    await this.change(actorId, chatId, async (trx, { chat, members, actorRole }) => {
      if (!actorRole) throw new KaifError('CHAT_NOT_FOUND');
      if (chat.type === 'direct') throw new KaifError('CHAT_TYPE_MISMATCH', 'Direct chats have exactly two members');
      if (!isAdminRole(actorRole)) throw new KaifError('CHAT_ADMIN_REQUIRED');
      const target = members.find((member) => member.userId === userId);
      if (!target) throw new KaifError('MEMBER_NOT_FOUND');
      if (actorRole !== 'owner' && target.role !== 'member') throw new KaifError('CHAT_OWNER_REQUIRED');
      await this.deleteMember(trx, chat, members, userId, 'removed');
    }, userId);
  }

  /** The owner makes a member an admin or an admin a member. */
  async setRole(actorId: string, chatId: string, userId: string, role: 'admin' | 'member'): Promise<ChatView> {
    await this.change(actorId, chatId, async (trx, { chat, members, actorRole }) => {
      if (!actorRole) throw new KaifError('CHAT_NOT_FOUND');
      if (chat.type === 'direct') throw new KaifError('CHAT_TYPE_MISMATCH', 'Direct chats have no roles');
      if (actorRole !== 'owner') throw new KaifError('CHAT_OWNER_REQUIRED');
      const target = members.find((member) => member.userId === userId);
      if (!target) throw new KaifError('MEMBER_NOT_FOUND');
      if (target.role === 'owner') throw new KaifError('VALIDATION_FAILED', 'The owner keeps the owner role', { field: 'userId' });
      if (target.role === role) return;
      await trx.updateTable('messaging.members').set({ role }).where('chat_id', '=', chat.id).where('user_id', '=', userId).execute();
      await appendEvents(trx, chat, [roleEvent(chat, members, userId, role)], new Date());
    }, userId);
    return this.chats.get(actorId, chatId);
  }

  /** Runs a membership change under the chat's lock, with the members as they are now. */
  private async change(
    actorId: string,
    chatId: string,
    apply: (trx: MessagingTransaction, state: MembershipChange) => Promise<void>,
    targetId?: string,
  ): Promise<void> {
    if (!isUuid(chatId)) throw new KaifError('CHAT_NOT_FOUND');
    await this.deps.db.transaction().execute(async (trx) => {
      const chat = await lockChat(trx, chatId);
      if (!chat) throw new KaifError('CHAT_NOT_FOUND');
      const members = chat.type === 'channel' ? await channelMembersConcerned(trx, chatId, [actorId, targetId ?? actorId]) : await membersOf(trx, chatId);
      const actorRole = members.find((member) => member.userId === actorId)?.role;
      await apply(trx, { chat, members, actorRole });
    });
    this.deps.committed();
  }

  private async insertMember(trx: MessagingTransaction, chat: LockedChat, members: readonly Member[], userId: string) {
    if (chat.type === 'group' && chat.memberCount >= GROUP_MAX_MEMBERS) throw new KaifError('CHAT_MEMBER_LIMIT');
    const at = new Date();
    await trx
      .insertInto('messaging.members')
      .values({ chat_id: chat.id, user_id: userId, role: 'member', read_seq: 0, joined_at: at })
      .execute();
    const onlyFor = chat.type === 'channel' ? userId : undefined;
    const audience = audienceOf(chat.type, [...members.map((member) => member.userId), userId], { onlyFor, concerns: userId });
    await appendEvents(
      trx,
      chat,
      [{ type: 'chat.member', data: { userId, change: 'joined', role: 'member' }, onlyFor, audience }],
      at,
      { memberCount: chat.memberCount + 1 },
    );
  }

  /**
   * The member concerned sees their own departure; when the owner leaves,
   * the longest-standing admin (or else member) becomes owner.
   */
  private async deleteMember(
    trx: MessagingTransaction,
    chat: LockedChat,
    members: readonly Member[],
    userId: string,
    change: 'left' | 'removed',
  ) {
    const leaving = members.find((member) => member.userId === userId)!;
    await trx.deleteFrom('messaging.members').where('chat_id', '=', chat.id).where('user_id', '=', userId).execute();
    const onlyFor = chat.type === 'channel' ? userId : undefined;
    const drafts: EventDraft[] = [
      {
        type: 'chat.member',
        data: { userId, change, role: leaving.role },
        onlyFor,
        audience: audienceOf(chat.type, members.map((member) => member.userId), { onlyFor, concerns: userId }),
      },
    ];
    let remaining = members.filter((member) => member.userId !== userId);
    if (leaving.role === 'owner') {
      const all = chat.type === 'channel' ? await membersOf(trx, chat.id) : remaining;
      const successor = all.find((member) => member.role === 'admin') ?? all[0];
      if (successor) {
        await trx
          .updateTable('messaging.members')
          .set({ role: 'owner' })
          .where('chat_id', '=', chat.id)
          .where('user_id', '=', successor.userId)
          .execute();
        remaining = remaining.map((member) => (member.userId === successor.userId ? { ...member, role: 'owner' } : member));
        drafts.push(roleEvent(chat, remaining, successor.userId, 'owner'));
      }
    }
    await appendEvents(trx, chat, drafts, new Date(), { memberCount: chat.memberCount - 1 });
  }
}

function roleEvent(chat: LockedChat, members: readonly Member[], userId: string, role: ChatRole): EventDraft {
  const onlyFor = chat.type === 'channel' ? userId : undefined;
  return {
    type: 'chat.member',
    data: { userId, change: 'role', role },
    onlyFor,
    audience: audienceOf(chat.type, members.map((member) => member.userId), { onlyFor }),
  };
}

/**
 * A channel may have millions of subscribers; a membership change needs only
 * the actor, the member concerned, the owner and admins, never the whole list.
 */
async function channelMembersConcerned(trx: MessagingTransaction, chatId: string, userIds: readonly string[]): Promise<Member[]> {
  const rows = await trx
    .selectFrom('messaging.members')
    .select(['user_id', 'role'])
    .where('chat_id', '=', chatId)
    .where((where) => where.or([where('user_id', 'in', userIds), where('role', '<>', 'member')]))
    .execute();
  return rows.map((row) => ({ userId: row.user_id, role: row.role }));
}
