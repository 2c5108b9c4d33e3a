import type { ChatId, UserId } from '@kaif/protocol';
import { LRUCache } from 'lru-cache';
import type { MessagingApi } from '../messaging/api.js';

const LOOKUPS_AT_ONCE = 16;

/**
 * A user's direct chats, where their status is announced. The messaging
 * interface does not say a chat's type; a direct chat is one with exactly
 * two members (the rule the WebSocket gateway uses too), so a two-member
 * group counts as well. Kept in memory for `ttlMs` (lru-cache, at most
 * `maxEntries` users), since a client may send Status often: a chat created
 * meanwhile is announced to after at most that.
 */
export class DirectChats {
  private readonly chats: LRUCache<UserId, readonly ChatId[]>;

  constructor(
    private readonly messaging: MessagingApi,
    ttlMs: number,
    maxEntries: number,
  ) {
    this.chats = new LRUCache<UserId, readonly ChatId[]>({ max: maxEntries, ttl: ttlMs, fetchMethod: (userId) => this.lookUp(userId) });
  }

  /** Concurrent calls for one user share one lookup; a failed lookup is not kept. */
  async of(userId: UserId): Promise<readonly ChatId[]> {
    return (await this.chats.fetch(userId))!;
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
