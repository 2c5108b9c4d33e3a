import type { ChatId, ServerPacket, UserId } from '@kaif/protocol';
import type { Bus, BusPayload, Unsubscribe } from '../../platform/bus/bus.js';
import {
  type TypingSignal,
  chatIdOfLiveSubject,
  chatPresenceSubject,
  isChatPresenceUpdate,
  typingSubject,
} from '../../platform/bus/live-subjects.js';
import type { Principal } from '../../platform/http/principal.js';
import { isEventEnvelope } from '../../platform/outbox/outbox.js';
import { type LiveChatEvent, type Message, type MessagingApi, chatEventSubject } from '../messaging/api.js';
import { RecentEventIds } from './recent-event-ids.js';
import { type RevokedSessions, covers } from './session-revocations.js';
import { toWireMessage } from './wire-message.js';

/** An authenticated connection that receives pushed packets. */
export interface LiveWatcher {
  readonly principal: Principal;
  push(packet: ServerPacket): void;
  /** Its session ended elsewhere; the watcher closes itself. */
  revoke(): void;
}

/**
 * Routes live events from the bus to this node's TCP connections:
 * `NewMessage` to members of the chat, `Typing` to the other members,
 * `Status` to the other member of a direct chat. Every wire node follows
 * all chats with one wildcard subscription per kind and routes locally, so a
 * chat a user joins after connecting needs no new subscription.
 *
 * Delivery is at most once and live only: a connection receives what
 * happens after its Auth is acknowledged; history is GetMessages.
 */
export class LiveRouter {
  private readonly byUser = new Map<UserId, Set<LiveWatcher>>();
  private readonly byChat = new Map<ChatId, Set<LiveWatcher>>();
  private readonly chatsOf = new Map<LiveWatcher, Set<ChatId>>();
  private readonly recentEvents = new RecentEventIds(4096);
  private subscriptions: Unsubscribe[] = [];

  constructor(
    private readonly bus: Bus,
    private readonly messaging: MessagingApi,
  ) {}

  start(): void {
    this.subscriptions = [
      this.bus.subscribe(chatEventSubject('*' as ChatId), (payload) => this.onChatEvent(payload)),
      this.bus.subscribe(typingSubject('*' as ChatId), (payload) => this.onTyping(payload as unknown as TypingSignal)),
      this.bus.subscribe(chatPresenceSubject('*' as ChatId), (payload, subject) => this.onPresence(payload, subject)),
    ];
  }

  stop(): void {
    for (const unsubscribe of this.subscriptions.splice(0)) unsubscribe();
  }

  /** Starts pushing to `watcher`: its chats now, and chats it joins later. */
  async watch(watcher: LiveWatcher): Promise<void> {
    const { userId } = watcher.principal;
    addTo(this.byUser, userId, watcher);
    this.chatsOf.set(watcher, new Set());
    const chatIds = await this.messaging.chatIdsOf(userId);
    if (!this.chatsOf.has(watcher)) return;
    for (const chatId of chatIds) this.join(watcher, chatId);
  }

  unwatch(watcher: LiveWatcher): void {
    removeFrom(this.byUser, watcher.principal.userId, watcher);
    for (const chatId of this.chatsOf.get(watcher) ?? []) removeFrom(this.byChat, chatId, watcher);
    this.chatsOf.delete(watcher);
  }

  revoke(revoked: RevokedSessions): void {
    for (const watcher of [...(this.byUser.get(revoked.userId) ?? [])]) {
      if (covers(revoked, watcher.principal.userId, watcher.principal.sessionId)) watcher.revoke();
    }
  }

  private join(watcher: LiveWatcher, chatId: ChatId): void {
    this.chatsOf.get(watcher)?.add(chatId);
    addTo(this.byChat, chatId, watcher);
  }

  private leave(watcher: LiveWatcher, chatId: ChatId): void {
    this.chatsOf.get(watcher)?.delete(chatId);
    removeFrom(this.byChat, chatId, watcher);
  }

  private onChatEvent(payload: BusPayload): void {
    if (!isEventEnvelope(payload) || this.recentEvents.seenBefore(payload.eventId)) return;
    const event = payload.body as unknown as LiveChatEvent;
    if (event.type === 'chat.member') {
      this.applyMembership(event);
      return;
    }
    if (event.type !== 'message.new') return;
    const watchers = this.byChat.get(event.chatId);
    if (!watchers) return;
    const packet: ServerPacket = { packet_type: 'NewMessage', message: toWireMessage(event.data as unknown as Message) };
    for (const watcher of watchers) {
      if (!event.onlyFor || event.onlyFor.includes(watcher.principal.userId)) watcher.push(packet);
    }
  }

  private applyMembership(event: LiveChatEvent): void {
    const { userId, change } = event.data as { userId?: UserId; change?: string };
    if (userId === undefined) return;
    for (const watcher of this.byUser.get(userId) ?? []) {
      if (change === 'joined') this.join(watcher, event.chatId);
      else if (change === 'left' || change === 'removed') this.leave(watcher, event.chatId);
    }
  }

  private onTyping(signal: TypingSignal): void {
    const watchers = this.byChat.get(signal.chatId);
    if (!watchers) return;
    const packet: ServerPacket = { packet_type: 'Typing', chat_id: signal.chatId, user_id: signal.userId };
    for (const watcher of watchers) if (watcher.principal.userId !== signal.userId) watcher.push(packet);
  }

  /** Presence is announced only in direct chats (see DirectChats), so the chat's watchers are the user's peers. */
  private onPresence(payload: BusPayload, subject: string): void {
    if (!isChatPresenceUpdate(payload)) return;
    const watchers = this.byChat.get(chatIdOfLiveSubject(subject));
    if (!watchers) return;
    const packet: ServerPacket = { packet_type: 'Status', user_id: payload.userId, status_data: payload.status };
    for (const watcher of watchers) if (watcher.principal.userId !== payload.userId) watcher.push(packet);
  }
}

function addTo<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (set) set.add(value);
  else index.set(key, new Set([value]));
}

function removeFrom<K, V>(index: Map<K, Set<V>>, key: K, value: V): void {
  const set = index.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) index.delete(key);
}
