import { type ChatId, type PresenceStatus, PresenceStatusSchema, type UserId } from '@kaif/protocol';

/**
 * Live-only chat traffic (not stored, at most once) shared by every
 * transport: a typing indicator or a status change made over TCP, UDP or
 * WebSocket reaches watchers on all of them. Presence travels per direct
 * chat, so only a user's contacts (their direct-chat peers) hear of it, and a
 * node that follows a chat for its connections gets both kinds with one
 * subscription (`kaif.live.chat.<id>.*`).
 */
export const typingSubject = (chatId: ChatId) => `kaif.live.chat.${chatId}.typing`;
export const chatPresenceSubject = (chatId: ChatId) => `kaif.live.chat.${chatId}.presence`;

/** Watchers hide the indicator after TYPING_EXPIRES_MS unless it is repeated. */
export interface TypingSignal {
  readonly chatId: ChatId;
  readonly userId: UserId;
}

export interface ChatPresenceUpdate {
  readonly userId: UserId;
  readonly status: PresenceStatus;
  /** Null while online. */
  readonly lastSeen: string | null;
}

const STATUSES = new Set<unknown>(PresenceStatusSchema.anyOf.map((status) => status.const));

export function isChatPresenceUpdate(value: unknown): value is ChatPresenceUpdate {
  const update = value as Partial<ChatPresenceUpdate> | null;
  return typeof update?.userId === 'string' && STATUSES.has(update.status);
}

/** The chat a `kaif.live.chat.<id>.<kind>` subject is about. */
export function chatIdOfLiveSubject(subject: string): ChatId {
  return subject.split('.')[3] as ChatId;
}
