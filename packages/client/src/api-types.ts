import type { Static } from '@sinclair/typebox';
import type { ChatListItemSchema, ChatSchema, MessageSchema } from '@kaif/protocol';

/** Response shapes from the protocol schemas (API.md "Chats and messages"). */
export type Chat = Static<typeof ChatSchema>;
export type ChatListItem = Static<typeof ChatListItemSchema>;
export type Message = Static<typeof MessageSchema>;

export interface Presence {
  readonly userId: string;
  /** `unknown` when the user's privacy setting hides their presence from the caller. */
  readonly status: 'online' | 'offline' | 'unknown';
  readonly lastSeen: string | null;
}
