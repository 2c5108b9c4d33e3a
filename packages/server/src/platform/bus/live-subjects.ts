import type { ChatId, UserId } from '@kaif/protocol';

/**
 * Live-only subjects (not stored, at most once) shared by every transport:
 * a typing indicator or a status change made over TCP, UDP or WebSocket
 * reaches watchers on all of them.
 */
export const typingSubject = (chatId: ChatId) => `kaif.live.chat.${chatId}.typing`;
export const presenceSubject = (userId: UserId) => `kaif.live.user.${userId}.presence`;

export interface TypingSignal {
  readonly chatId: ChatId;
  readonly userId: UserId;
  /** Watchers hide the indicator after this long unless it is repeated. */
  readonly expiresInMs: number;
}

export type PresenceStatus = 'online' | 'offline' | 'away';

export interface PresenceSignal {
  readonly userId: UserId;
  readonly status: PresenceStatus;
  readonly lastSeenAt: string;
}
