import type { ChatEvent } from './api.js';

/**
 * How one of the user's own channel events (delivered through their feed)
 * moves the cursor's channel positions, in place: joining starts the channel
 * at the join seq, leaving or removal drops it, anything else marks the
 * channel delivered up to that seq. The caller has delivered every earlier
 * subscriber-wide event of the channel first.
 */
export function applyOwnChannelEvent(
  channels: Map<string, number>,
  userId: string,
  event: Pick<ChatEvent, 'chatId' | 'seq' | 'type' | 'data'>,
): void {
  const change = event.type === 'chat.member' && event.data.userId === userId ? event.data.change : undefined;
  const delivered = channels.get(event.chatId);
  if (change === 'left' || change === 'removed') {
    channels.delete(event.chatId);
  } else if (change === 'joined' || delivered !== undefined) {
    channels.set(event.chatId, Math.max(delivered ?? 0, event.seq));
  }
}
