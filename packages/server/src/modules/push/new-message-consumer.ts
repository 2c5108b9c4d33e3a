import type { ChatId, UserId } from '@kaif/protocol';
import type { Kysely } from 'kysely';
import type { BusPayload } from '../../platform/bus/bus.js';
import type { KeyValueStore } from '../../platform/kv/key-value-store.js';
import type { Logger } from '../../platform/logging/logger.js';
import { claimEvent, isEventClaimed, isEventEnvelope } from '../../platform/outbox/outbox.js';
import type { IdentityApi } from '../identity/api.js';
import type { LiveChatEvent, Message, MessagingApi } from '../messaging/api.js';
import type { RealtimeApi } from '../realtime/api.js';
import { ChatCoalescer, type Notified, type TurnIntervals } from './chat-coalescer.js';
import type { DeliveryLedger, NewDelivery } from './delivery-ledger.js';
import type { Delivery, PushDispatcher } from './push-dispatcher.js';
import type { RecipientPreferences } from './recipient-preferences.js';
import type { SubscriptionStore } from './subscription-store.js';

/** The inbox name of this consumer (platform.inbox) and its durable bus consumer. */
export const NEW_MESSAGE_CONSUMER = 'push-new-messages';

/** Kinds of chat whose text may appear in a notification; any other (secret chats) never puts content in a push. */
const CONTENT_ALLOWED: ReadonlySet<string> = new Set(['direct', 'group', 'channel']);

export interface NewMessageConsumerDeps {
  readonly db: Kysely<unknown>;
  readonly messaging: Pick<MessagingApi, 'chatSummary' | 'memberIdsPage'>;
  readonly identity: Pick<IdentityApi, 'getUser'>;
  readonly realtime: Pick<RealtimeApi, 'presenceOf'>;
  readonly subscriptions: SubscriptionStore;
  readonly preferences: RecipientPreferences;
  readonly ledger: DeliveryLedger;
  readonly dispatcher: PushDispatcher;
  readonly logger: Logger;
  /** Members read per page: a channel is walked in pages, never loaded whole. */
  readonly pageSize: number;
  /** A message older than this when its event arrives (a worker that was down) is not pushed: the news is stale. */
  readonly maxEventAgeMs: number;
  /** Counts events skipped as stale. */
  readonly onStale: () => void;
  /** One notification per chat per interval, longer while the chat stays busy. */
  readonly intervals: TurnIntervals;
  readonly kv: KeyValueStore;
}

/** A new message as the consumer got it. */
interface NewMessage {
  readonly eventId: string;
  readonly event: LiveChatEvent;
  readonly message: Message;
}

/**
 * Decides who gets a push for each new message, from the durable event
 * stream (at least once, in the worker role). A recipient is a member of
 * the chat who is not the sender, has a push subscription, has no live
 * connection on any transport anywhere in the cluster (realtime's
 * presence), and has not muted the chat. Every subscription of every
 * member considered is written to the ledger (pushed, live or muted) in
 * pages; the pushed ones go to the dispatcher, which sends off this path.
 *
 * Coalesced per chat (ChatCoalescer): a message arriving while its chat's
 * turn is taken is folded into the chat's next notification.
 *
 * Idempotent: the ledger's key (message, device) lets a redelivered event
 * push to nobody twice, and the event is claimed in platform.inbox once all
 * its pages are done, so a redelivery after that is skipped outright.
 */
export class NewMessageConsumer {
  private readonly coalescer: ChatCoalescer<NewMessage>;

  constructor(private readonly deps: NewMessageConsumerDeps) {
    this.coalescer = new ChatCoalescer<NewMessage>(
      deps.kv,
      deps.intervals,
      (_chatId, turn) => this.notify(turn.latest, turn.folded),
      () => deps.ledger.folded(),
      deps.logger,
    );
  }

  stop(): void {
    this.coalescer.stop();
  }

  /** Chats whose folded messages wait for their next turn in this process. */
  get waitingChats(): number {
    return this.coalescer.waitingChats;
  }

  readonly handle = async (payload: BusPayload): Promise<void> => {
    if (!isEventEnvelope(payload)) return;
    const event = payload.body as unknown as LiveChatEvent;
    if (event.type !== 'message.new') return;
    if (Date.now() - Date.parse(event.at) > this.deps.maxEventAgeMs) {
      this.deps.onStale();
      return;
    }
    const message = event.data as unknown as Message;
    if (message.deleted) return;
    await this.coalescer.offer(event.chatId as ChatId, { eventId: payload.eventId, event, message });
  };

  private async notify(latest: NewMessage, folded: number): Promise<Notified> {
    const { considered, sent } = await this.fanOut(latest, folded);
    if (considered) await this.deps.db.transaction().execute((trx) => claimEvent(trx, NEW_MESSAGE_CONSUMER, latest.eventId));
    return { sent };
  }

  /**
   * Pages through the members; returns whether any device was considered,
   * and a promise of the pushes having been answered.
   * A chat where no member other than the sender has a subscription costs
   * two reads (a page of members, their subscriptions) and no write: the
   * inbox is only consulted and written once there is something to protect.
   */
  private async fanOut({ eventId, event, message }: NewMessage, folded: number): Promise<{ considered: boolean; sent: Promise<void> }> {
    const { messaging, realtime, subscriptions, preferences, ledger, dispatcher, pageSize } = this.deps;
    const senderId = message.senderId as UserId;
    let notice: Notice | undefined;
    const sending: Promise<void>[] = [];
    const nothing = { considered: false, sent: Promise.resolve() };
    let after: UserId | null = null;
    for (;;) {
      const page: readonly UserId[] = await messaging.memberIdsPage(event.chatId, after, pageSize);
      if (page.length === 0) break;
      after = page[page.length - 1]!;
      const devices = await subscriptions.ofUsers(page.filter((userId) => userId !== senderId));
      if (devices.length > 0) {
        if (notice === undefined) {
          if (await isEventClaimed(this.deps.db, NEW_MESSAGE_CONSUMER, eventId)) return nothing;
          const found = await this.noticeOf(event, message);
          if (found === undefined) return nothing;
          notice = found;
        }
        const users = [...new Set(devices.map((device) => device.userId))];
        const [presence, muted, previewers] = await Promise.all([
          realtime.presenceOf(users),
          preferences.mutedAmong(event.chatId as ChatId, users),
          notice.contentAllowed ? preferences.previewersAmong(users) : Promise.resolve(new Set<UserId>()),
        ]);
        const online = new Set(presence.filter((entry) => entry.status === 'online').map((entry) => entry.userId));
        const states: NewDelivery[] = devices.map((device) => ({
          subscriptionId: device.id,
          userId: device.userId,
          state: online.has(device.userId) ? 'live' : muted.has(device.userId) ? 'muted' : 'pushed',
        }));
        const fresh = await ledger.record(event.chatId, event.seq, states);
        const { title, senderName } = notice;
        const deliveries: Delivery[] = devices
          .filter((device, index) => states[index]!.state === 'pushed' && fresh.has(device.id))
          .map((device) => ({
            ref: { chatId: event.chatId, seq: event.seq, subscriptionId: device.id },
            target: device,
            title,
            senderName,
            preview: previewers.has(device.userId) ? (message.text as string) : null,
            folded,
            at: event.at,
          }));
        sending.push(dispatcher.enqueue(deliveries));
      }
      if (page.length < pageSize) break;
    }
    return { considered: notice !== undefined, sent: Promise.all(sending).then(() => undefined) };
  }

  /** What the notifications of this message say; undefined when the chat is gone. */
  private async noticeOf(event: LiveChatEvent, message: Message): Promise<Notice | undefined> {
    const chat = await this.deps.messaging.chatSummary(event.chatId);
    if (!chat) return undefined;
    const senderName = (await this.deps.identity.getUser(message.senderId as UserId))?.displayName ?? 'Someone';
    return { title: chat.title ?? senderName, senderName, contentAllowed: CONTENT_ALLOWED.has(chat.type) && typeof message.text === 'string' };
  }
}

interface Notice {
  readonly title: string;
  readonly senderName: string;
  readonly contentAllowed: boolean;
}
