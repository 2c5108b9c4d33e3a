import type { UserId } from '@kaif/protocol';
import type { FollowResult, LiveChatEvent } from './api.js';
import { fansOutOnRead } from './event-log.js';
import { decodeCursor, encodeCursor } from './feed-cursor.js';
import { applyOwnChannelEvent } from './own-channel-event.js';

/**
 * Decides, from the cursor alone, where a live event stands for a user.
 *
 * Direct-chat events (and a user's own events in a group or channel) carry
 * the user's feed position: the next position is `next`, an earlier one
 * `seen`, a later one a `gap`. Group and channel events for every member
 * carry the chat's `previousSeq`: if the cursor's seq for the chat reached
 * it, the event is `next` (what lies between went to other users only).
 */
export function followEvent(userId: UserId, cursorText: string, event: LiveChatEvent): FollowResult {
  const cursor = decodeCursor(cursorText);
  const position = event.positions?.[userId];
  const channelSeq = cursor.channels[event.chatId];
  if (position !== undefined) {
    if (position <= cursor.pts) return { kind: 'seen' };
    if (position > cursor.pts + 1) return { kind: 'gap' };
    if (!fansOutOnRead(event.chatType)) return { kind: 'next', cursor: encodeCursor({ ...cursor, pts: position }) };
    if (channelSeq !== undefined && (event.previousSeq ?? 0) > channelSeq) return { kind: 'gap' };
    const channels = applyOwnChannelEvent(cursor.channels, userId, event);
    return { kind: 'next', cursor: encodeCursor({ pts: position, channels }) };
  }
  if (!fansOutOnRead(event.chatType) || event.onlyFor !== undefined || channelSeq === undefined) {
    return { kind: 'not-visible' };
  }
  if (event.seq <= channelSeq) return { kind: 'seen' };
  if ((event.previousSeq ?? 0) > channelSeq) return { kind: 'gap' };
  return { kind: 'next', cursor: encodeCursor({ ...cursor, channels: { ...cursor.channels, [event.chatId]: event.seq } }) };
}
