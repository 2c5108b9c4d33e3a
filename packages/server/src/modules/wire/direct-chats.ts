import type { ChatId, UserId } from '@kaif/protocol';
import { LRUCache } from 'lru-cache';
import type { MessagingApi } from '../messaging/api.js';

/**
 * A user's direct chats, where their status is announced, as the WebSocket
 * gateway announces presence. Kept in memory for `ttlMs` (lru-cache, at most
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
    const chats = await this.messaging.chatsOf(userId);
    return chats.filter((chat) => chat.type === 'direct').map((chat) => chat.chatId);
  }
}
