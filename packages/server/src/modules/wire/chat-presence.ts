import type { ChatId, PresenceStatus, UserId } from '@kaif/protocol';

/**
 * Where the WebSocket gateway announces and follows presence: per direct
 * chat, not per user (see realtime/chat-fanout.ts). The wire module speaks
 * the same subject and payload, so a status set over TCP or UDP reaches
 * WebSocket clients and a WebSocket connect reaches TCP clients.
 */
export const chatPresenceSubject = (chatId: ChatId) => `kaif.live.chat.${chatId}.presence`;

export interface ChatPresenceUpdate {
  readonly userId: UserId;
  readonly status: PresenceStatus;
  /** Null while online. */
  readonly lastSeen: string | null;
}

const STATUSES = new Set<unknown>(['online', 'offline', 'away']);

export function isChatPresenceUpdate(value: unknown): value is ChatPresenceUpdate {
  const update = value as Partial<ChatPresenceUpdate> | null;
  return typeof update?.userId === 'string' && STATUSES.has(update.status);
}

const PREFIX = chatPresenceSubject('' as ChatId).split('.presence')[0]!;

/** The chat a presence subject is about. */
export function chatIdOfPresenceSubject(subject: string): ChatId {
  return subject.slice(PREFIX.length, -'.presence'.length) as ChatId;
}
