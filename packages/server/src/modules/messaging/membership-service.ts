import type { ChatView } from '@kaif/protocol';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { ChatService } from './chat-service.js';
import type { LogBatcher } from './log-batcher.js';
import { type MessagingDeps, requireUsers } from './messaging-deps.js';
import { type MembershipChange, MembershipOperation } from './membership-operation.js';
import { isUuid } from './views.js';

/**
 * Who is in a chat and with which role: each change is checked and applied
 * under the chat's lock by the batch it joins (see MembershipOperation for
 * the rules); these methods check what needs no lock and answer with the
 * chat as the caller now sees it.
 */
export class MembershipService {
  constructor(
    private readonly deps: MessagingDeps,
    private readonly chats: ChatService,
    private readonly batcher: LogBatcher,
  ) {}

  async add(actorId: string, chatId: string, userId: string): Promise<ChatView> {
    await requireUsers(this.deps, [userId], 'userId');
    await this.change(chatId, { kind: 'add', actorId, userId });
    return this.chats.get(actorId, chatId);
  }

  /** Channels only: anyone who knows the id subscribes. */
  async join(userId: string, chatId: string): Promise<ChatView> {
    await this.change(chatId, { kind: 'join', userId });
    return this.chats.get(userId, chatId);
  }

  async leave(userId: string, chatId: string): Promise<void> {
    await this.change(chatId, { kind: 'leave', userId });
  }

  /** The owner removes anyone; an admin removes plain members. Removing yourself is leaving. */
  async remove(actorId: string, chatId: string, userId: string): Promise<void> {
    if (userId === actorId) return this.leave(actorId, chatId);
    await this.change(chatId, { kind: 'remove', actorId, userId });
  }

  /** The owner makes a member an admin or an admin a member. */
  async setRole(actorId: string, chatId: string, userId: string, role: 'admin' | 'member'): Promise<ChatView> {
    await this.change(chatId, { kind: 'role', actorId, userId, role });
    return this.chats.get(actorId, chatId);
  }

  private async change(chatId: string, change: MembershipChange): Promise<void> {
    if (!isUuid(chatId)) throw new KaifError('CHAT_NOT_FOUND');
    await this.batcher.submit(new MembershipOperation(chatId, change));
  }
}
