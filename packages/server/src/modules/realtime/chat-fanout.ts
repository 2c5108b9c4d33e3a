import type { ChatId, UserId } from '@kaif/protocol';
import type { Bus, BusPayload, Unsubscribe } from '../../platform/bus/bus.js';
import { type ChatPresenceUpdate, isChatPresenceUpdate } from '../../platform/bus/live-subjects.js';
import { isEventEnvelope } from '../../platform/outbox/outbox.js';
import { type LiveChatEvent, chatEventSubject } from '../messaging/api.js';

/** What a chat's live traffic is delivered to on this node: one per session. */
export interface ChatListener {
  readonly userId: UserId;
  chatEvent(event: LiveChatEvent): void;
  typingIn(chatId: ChatId, userId: UserId): void;
  presence(update: ChatPresenceUpdate): void;
}

/** A presence change as it travels on a chat's live subject. */
export type PresenceUpdate = ChatPresenceUpdate;

interface ChatEntry {
  readonly listeners: Set<ChatListener>;
  readonly unsubscribe: Unsubscribe;
}

/**
 * This node's bus subscriptions for chats, reference-counted: the first
 * connection in a chat subscribes (its durable event subject and its live
 * subjects), the last one to leave unsubscribes. One subscription per chat per
 * node however many connections are in it, and only for chats someone here
 * is in: never a firehose.
 */
export class ChatFanout {
  private readonly chats = new Map<ChatId, ChatEntry>();
  private subscribedSinceSettle = false;

  constructor(
    private readonly bus: Bus,
    private readonly onCountChange: (chats: number) => void,
  ) {}

  get size(): number {
    return this.chats.size;
  }

  join(chatId: ChatId, listener: ChatListener): void {
    const entry = this.chats.get(chatId);
    if (entry) {
      entry.listeners.add(listener);
      return;
    }
    const listeners = new Set<ChatListener>([listener]);
    const subscriptions = [
      this.bus.subscribe(chatEventSubject(chatId), (payload) => {
        const event = (isEventEnvelope(payload) ? payload.body : payload) as unknown as LiveChatEvent;
        for (const target of listeners) target.chatEvent(event);
      }),
      this.bus.subscribe(`kaif.live.chat.${chatId}.*`, (payload, subject) => this.live(chatId, listeners, payload, subject)),
    ];
    this.chats.set(chatId, {
      listeners,
      unsubscribe: () => {
        for (const unsubscribe of subscriptions) unsubscribe();
      },
    });
    this.subscribedSinceSettle = true;
    this.onCountChange(this.chats.size);
  }

  leave(chatId: ChatId, listener: ChatListener): void {
    const entry = this.chats.get(chatId);
    if (!entry?.listeners.delete(listener) || entry.listeners.size > 0) return;
    entry.unsubscribe();
    this.chats.delete(chatId);
    this.onCountChange(this.chats.size);
  }

  has(chatId: ChatId, listener: ChatListener): boolean {
    return this.chats.get(chatId)?.listeners.has(listener) ?? false;
  }

  /**
   * Resolves once new subscriptions are in effect at the bus (a NATS SUB is
   * only active after the server processed it), so a feed read that follows
   * cannot miss an event published in between.
   */
  async settle(): Promise<void> {
    if (!this.subscribedSinceSettle) return;
    this.subscribedSinceSettle = false;
    await this.bus.check();
  }

  close(): void {
    for (const entry of this.chats.values()) entry.unsubscribe();
    this.chats.clear();
    this.onCountChange(0);
  }

  private live(chatId: ChatId, listeners: Set<ChatListener>, payload: BusPayload, subject: string): void {
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return;
    const body = payload as Record<string, BusPayload>;
    const from = body.userId as UserId;
    if (subject.endsWith('.typing')) {
      for (const target of listeners) if (target.userId !== from) target.typingIn(chatId, from);
    } else if (subject.endsWith('.presence') && isChatPresenceUpdate(payload)) {
      for (const target of listeners) if (target.userId !== from) target.presence(payload);
    }
  }
}
