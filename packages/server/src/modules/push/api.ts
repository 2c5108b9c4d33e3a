import type { ChatId, UserId } from '@kaif/protocol';

/** The push module's public interface: what another module may ask about notifications. */
export interface PushApi {
  /** Until when the user muted the chat's notifications; null when not muted. */
  mutedUntil(userId: UserId, chatId: ChatId): Promise<Date | null>;
}

declare module '../service-map.js' {
  interface ServiceMap {
    push: PushApi;
  }
}
