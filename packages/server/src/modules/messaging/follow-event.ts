import type { UserId } from '@kaif/protocol';
import type { FollowResult, LiveChatEvent } from './api.js';
import { decodeCursor, encodeCursor } from './feed-cursor.js';
import { applyOwnChannelEvent } from './own-channel-event.js';

/**
 * Decides, from the cursor alone, where a live event stands for a user.
 *
 * Direct and group chats (and a user's own events in a channel) carry the
 * user's feed position: the next position is `next`, an earlier one `seen`,
 * a later one a `gap`. Channel events for every subscriber carry the
 * channel's `previousSeq`: if the cursor's seq for the channel reached it,
 * the event is `next` (what lies between went to other users only).
 */
export function followEvent(userId: UserId, cursorText: string, event: LiveChatEvent): FollowResult {
  const cursor = decodeCursor(cursorText);
  const position = event.positions?.[userId];
  const channelSeq = cursor.channels[event.chatId];
  if (position !== undefined) {
    if (position <= cursor.pts) return { kind: 'seen' };
    if (position > cursor.pts + 1) return { kind: 'gap' };
    if (event.chatType !== 'channel') return { kind: 'next', cursor: encodeCursor({ ...cursor, pts: position }) };
    if (channelSeq !== undefined && (event.previousSeq ?? 0) > channelSeq) return { kind: 'gap' };
    const channels = applyOwnChannelEvent(cursor.channels, userId, event);
    return { kind: 'next', cursor: encodeCursor({ pts: position, channels }) };
  }
  if (event.chatType !== 'channel' || event.onlyFor !== undefined || channelSeq === undefined) {
    return { kind: 'not-visible' };
  }
  if (event.seq <= channelSeq) return { kind: 'seen' };
  if ((event.previousSeq ?? 0) > channelSeq) return { kind: 'gap' };
  return { kind: 'next', cursor: encodeCursor({ ...cursor, channels: { ...cursor.channels, [event.chatId]: event.seq } }) };
}
