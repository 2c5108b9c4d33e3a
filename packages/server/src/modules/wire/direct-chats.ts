import type { ChatId, UserId } from '@kaif/protocol';
import type { MessagingApi } from '../messaging/api.js';

interface Entry {
  readonly chatIds: Promise<readonly ChatId[]>;
  readonly expiresAt: number;
}

/**
 * A user's direct chats, where their status is announced, as the WebSocket
 * gateway announces presence. Kept in memory for `ttlMs`, since a client may
 * send Status often: a chat created meanwhile is announced to after at most
 * that.
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
    const chats = await this.messaging.chatsOf(userId);
    return chats.filter((chat) => chat.type === 'direct').map((chat) => chat.chatId);
  }
}
