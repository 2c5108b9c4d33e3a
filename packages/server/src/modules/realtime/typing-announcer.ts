import type { ChatId, UserId } from '@kaif/protocol';
import type { Bus } from '../../platform/bus/bus.js';
import type { KeyValueStore } from '../../platform/kv/key-value-store.js';
import { typingSubject } from '../../platform/bus/live-subjects.js';

/**
 * Typing is live only: never stored, published on
 * `kaif.live.chat.<chatId>.typing` and shown by clients for a few seconds.
 * The throttle key lives in the shared store, so a user typing on several
 * devices or nodes still announces at most once per window per chat.
 */
export class TypingAnnouncer {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly bus: Bus,
    private readonly throttleMs: number,
  ) {}

  /** The caller has checked membership. False when throttled. */
  async announce(userId: UserId, chatId: ChatId): Promise<boolean> {
    if (!(await this.kv.setIfAbsent(`typing:${chatId}:${userId}`, '1', this.throttleMs))) return false;
    this.bus.publish(typingSubject(chatId), { userId, chatId });
    return true;
  }
}
