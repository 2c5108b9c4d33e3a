import type { ChatId, UserId } from '@kaif/protocol';
import type { Bus } from '../../platform/bus/bus.js';
import type { KeyValueStore } from '../../platform/kv/key-value-store.js';
import type { MessagingApi } from '../messaging/api.js';
import { typingSubject } from '../../platform/bus/live-subjects.js';

/**
 * Typing is live only: never stored, published on
 * `kaif.live.chat.<chatId>.typing` and shown by clients for a few seconds.
 * The throttle key lives in the shared store, so a user typing on several
 * devices, transports or nodes still announces at most once per window per
 * chat. Every transport (WebSocket, Socket.IO, TCP, UDP) announces through here.
 */
export class TypingAnnouncer {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly bus: Bus,
    private readonly messaging: Pick<MessagingApi, 'assertCanPost'>,
    private readonly throttleMs: number,
  ) {}

  /**
   * False when throttled. Only those who may post in a chat can be seen
   * typing in it: a channel subscriber's typing would tell every other
   * subscriber who follows the channel. Throws CHAT_NOT_FOUND or
   * CHAT_WRITE_FORBIDDEN.
   */
  async announce(userId: UserId, chatId: ChatId): Promise<boolean> {
    await this.messaging.assertCanPost(userId, chatId);
    if (!(await this.kv.setIfAbsent(`typing:${chatId}:${userId}`, '1', this.throttleMs))) return false;
    this.bus.publish(typingSubject(chatId), { userId, chatId });
    return true;
  }
}
