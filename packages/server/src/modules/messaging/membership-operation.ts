import { GROUP_MAX_MEMBERS } from '@kaif/protocol';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { ChatRole } from './api.js';
import type { BatchOperation, BatchReads } from './batch-operation.js';
import type { ChatBatch, MemberState } from './chat-batch.js';
import { isAdminRole } from './chat-access.js';
import type { LockedChat } from './event-log.js';

/** A membership change as its caller asked for it; `actorId` is who asks, `userId` the member concerned. */
export type MembershipChange =
  | { readonly kind: 'add'; readonly actorId: string; readonly userId: string }
  | { readonly kind: 'join'; readonly userId: string }
  | { readonly kind: 'leave'; readonly userId: string }
  | { readonly kind: 'remove'; readonly actorId: string; readonly userId: string }
  | { readonly kind: 'role'; readonly actorId: string; readonly userId: string; readonly role: 'admin' | 'member' };

const DIRECT_CHATS_NEVER_CHANGE: Record<Exclude<MembershipChange['kind'], 'join'>, string> = {
  add: 'Direct chats have exactly two members',
  remove: 'Direct chats have exactly two members',
  leave: 'Direct chats cannot be left',
  role: 'Direct chats have no roles',
};

/**
 * Who is in a chat and with which role. Groups: the owner and admins add and
 * remove members, anyone may leave. Channels: anyone with the id may join,
 * subscribers read, the owner and admins post. Direct chats never change.
 * Every change is a chat.member event: in groups every member sees it (and
 * the member who joins or leaves also gets it in their feed, which starts or
 * ends their reading of the group's log), in channels only the member
 * concerned. A change that changes nothing (adding a member, a role already
 * held) appends nothing.
 */
export class MembershipOperation implements BatchOperation<void> {
  constructor(
    readonly chatId: string,
    private readonly change: MembershipChange,
  ) {}

  reads(reads: BatchReads): void {
    const { change } = this;
    reads.member(this.chatId, change.userId);
    if ('actorId' in change) reads.member(this.chatId, change.actorId);
  }

  async apply(batch: ChatBatch): Promise<void> {
    const { change } = this;
    const chat = batch.chat(this.chatId);
    if (!chat) throw new KaifError('CHAT_NOT_FOUND');
    const target = batch.member(chat.id, change.userId);
    if (change.kind === 'join') {
      if (target) return;
      if (chat.type !== 'channel') throw new KaifError('CHAT_NOT_FOUND');
      return this.admit(batch, chat);
    }
    const actor = 'actorId' in change ? batch.member(chat.id, change.actorId) : target;
    if (!actor) throw new KaifError('CHAT_NOT_FOUND');
    if (chat.type === 'direct') throw new KaifError('CHAT_TYPE_MISMATCH', DIRECT_CHATS_NEVER_CHANGE[change.kind]);
    if (change.kind === 'leave') return this.depart(batch, chat, actor, 'left');
    if (change.kind === 'role') {
      if (actor.role !== 'owner') throw new KaifError('CHAT_OWNER_REQUIRED');
      if (!target) throw new KaifError('MEMBER_NOT_FOUND');
      if (target.role === 'owner') throw new KaifError('VALIDATION_FAILED', 'The owner keeps the owner role', { field: 'userId' });
      if (target.role === change.role) return;
      batch.setMember(chat, change.userId, { ...target, role: change.role });
      batch.append(chat, roleEvent(batch, chat, change.userId, change.role));
      return;
    }
    if (!isAdminRole(actor.role)) throw new KaifError('CHAT_ADMIN_REQUIRED');
    if (change.kind === 'add') return target ? undefined : this.admit(batch, chat);
    if (!target) throw new KaifError('MEMBER_NOT_FOUND');
    if (actor.role !== 'owner' && target.role !== 'member') throw new KaifError('CHAT_OWNER_REQUIRED');
    return this.depart(batch, chat, target, 'removed');
  }

  private admit(batch: ChatBatch, chat: LockedChat): void {
    if ((chat.type === 'group' || chat.type === 'secret') && batch.memberCount(chat) >= GROUP_MAX_MEMBERS) throw new KaifError('CHAT_MEMBER_LIMIT');
    const { userId } = this.change;
    batch.setMember(chat, userId, { role: 'member', readSeq: 0, joinedAt: batch.at });
    const onlyFor = chat.type === 'channel' ? userId : undefined;
    batch.append(chat, {
      type: 'chat.member',
      data: { userId, change: 'joined', role: 'member' },
      onlyFor,
      audience: batch.audience(chat, { onlyFor, concerns: userId }),
    });
  }

  /**
   * The member concerned sees their own departure; when the owner leaves,
   * the longest-standing admin (or else member) becomes owner.
   */
  private async depart(batch: ChatBatch, chat: LockedChat, leaving: MemberState, change: 'left' | 'removed'): Promise<void> {
    const { userId } = this.change;
    let successor: { readonly userId: string; readonly state: MemberState } | undefined;
    if (leaving.role === 'owner') {
      const remaining = (await batch.allMembers(chat.id)).filter((member) => member.userId !== userId);
      successor = remaining.find((member) => member.state.role === 'admin') ?? remaining[0];
    }
    const onlyFor = chat.type === 'channel' ? userId : undefined;
    batch.append(chat, {
      type: 'chat.member',
      data: { userId, change, role: leaving.role },
      onlyFor,
      audience: batch.audience(chat, { onlyFor, concerns: userId }),
    });
    batch.setMember(chat, userId, null);
    if (successor) {
      batch.setMember(chat, successor.userId, { ...successor.state, role: 'owner' });
      batch.append(chat, roleEvent(batch, chat, successor.userId, 'owner'));
    }
  }
}

function roleEvent(batch: ChatBatch, chat: LockedChat, userId: string, role: ChatRole) {
  const onlyFor = chat.type === 'channel' ? userId : undefined;
  return { type: 'chat.member' as const, data: { userId, change: 'role', role }, onlyFor, audience: batch.audience(chat, { onlyFor }) };
}
