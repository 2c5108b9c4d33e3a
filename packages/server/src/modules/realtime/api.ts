import type { ChatId, PresenceStatus, UserId } from '@kaif/protocol';

/** Whether a user has a live connection on any node (`online` or `offline`), and when they were last seen. */
export interface Presence {
  readonly userId: UserId;
  readonly status: PresenceStatus;
  /** When the user's last connection closed; null while online or if never seen. */
  readonly lastSeen: string | null;
}

/**
 * The real-time module's public interface, for other transports (the wire
 * protocol) that want the same presence and typing as the WebSocket gateway.
 */
export interface RealtimeApi {
  presenceOf(userIds: readonly UserId[]): Promise<Presence[]>;
  /**
   * Announces that `userId` is typing in `chatId` to the chat's other members
   * on every node. Throttled per user and chat (false when throttled). Throws
   * CHAT_NOT_FOUND unless a member, CHAT_WRITE_FORBIDDEN unless the user may
   * post there: a channel's subscribers are never seen typing.
   */
  announceTyping(userId: UserId, chatId: ChatId): Promise<boolean>;
}

declare module '../service-map.js' {
  interface ServiceMap {
    realtime: RealtimeApi;
  }
}
