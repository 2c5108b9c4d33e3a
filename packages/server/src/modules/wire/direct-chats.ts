import type { ChatId, UserId } from '@kaif/protocol';
import type { MessagingApi } from '../messaging/api.js';

interface Entry {
  readonly chatIds: Promise<readonly ChatId[]>;
  readonly expiresAt: number;
}

const LOOKUPS_AT_ONCE = 16;

/**
 * A user's direct chats, where their status is announced. The messaging
 * interface does not say a chat's type; a direct chat is one with exactly
 * two members (the rule the WebSocket gateway uses too), so a two-member
 * group counts as well. Kept in memory for `ttlMs`, since a client may send
 * Status often: a chat created meanwhile is announced to after at most that.
 */
export class DirectChats {
  private readonly entries = new Map<UserId, Entry>();

  constructor(
    private readonly messaging: MessagingApi,
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  of(userId: UserId, now = Date.now()): Promise<readonly ChatId[]> {
    const cached = this.entries.get(userId);
    if (cached && cached.expiresAt > now) return cached.chatIds;
    const chatIds = this.lookUp(userId);
    this.entries.delete(userId);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as UserId);
    this.entries.set(userId, { chatIds, expiresAt: now + this.ttlMs });
    chatIds.catch(() => {
      if (this.entries.get(userId)?.chatIds === chatIds) this.entries.delete(userId);
    });
    return chatIds;
  }

  private async lookUp(userId: UserId): Promise<readonly ChatId[]> {
    const chatIds = await this.messaging.chatIdsOf(userId);
    const direct: ChatId[] = [];
    for (let start = 0; start < chatIds.length; start += LOOKUPS_AT_ONCE) {
      const batch = chatIds.slice(start, start + LOOKUPS_AT_ONCE);
      const memberLists = await Promise.all(batch.map((chatId) => this.messaging.memberIdsOf(chatId)));
      batch.forEach((chatId, index) => {
        if (memberLists[index]!.length === 2) direct.push(chatId);
      });
    }
    return direct;
  }
}
