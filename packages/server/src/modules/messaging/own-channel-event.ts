import type { ChatEvent } from './api.js';

/**
 * How one of the user's own channel events (delivered through their feed)
 * moves the cursor's channel positions: joining starts the channel at the
 * join seq, leaving or removal drops it, anything else marks the channel
 * delivered up to that seq. The caller has delivered every earlier
 * subscriber-wide event of the channel first.
 */
export function applyOwnChannelEvent(
  channels: Readonly<Record<string, number>>,
  userId: string,
  event: Pick<ChatEvent, 'chatId' | 'seq' | 'type' | 'data'>,
): Record<string, number> {
  const next = { ...channels };
  const change = event.type === 'chat.member' && event.data.userId === userId ? event.data.change : undefined;
  if (change === 'left' || change === 'removed') {
    delete next[event.chatId];
  } else if (change === 'joined' || next[event.chatId] !== undefined) {
    next[event.chatId] = Math.max(next[event.chatId] ?? 0, event.seq);
  }
  return next;
}
