import type { MessengerState } from '../../state/chat-state.js';
import type { Chat } from '../../state/types.js';

/** A direct chat is named after the other person; groups and channels by their title. */
export function chatTitle(chat: Chat, state: MessengerState): string {
  if (chat.type === 'direct') {
    const peer = chat.peerId ? state.users[chat.peerId] : undefined;
    return peer?.displayName || peer?.username || chat.title || 'Direct chat';
  }
  if (chat.type === 'secret') return 'Secret chat';
  return chat.title || (chat.type === 'channel' ? 'Untitled channel' : 'Untitled group');
}

export function isPeerOnline(chat: Chat, state: MessengerState): boolean {
  return chat.type === 'direct' && chat.peerId !== null && state.presence[chat.peerId] === 'online';
}
