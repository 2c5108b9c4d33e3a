import type { UserId, WalletBalanceEvent } from '@kaif/protocol';
import type { Bus, BusPayload, Unsubscribe } from '../../platform/bus/bus.js';
import { isEventEnvelope } from '../../platform/outbox/outbox.js';
import type { SessionsRevokedEvent } from '../identity/api.js';
import type { LiveChatEvent } from '../messaging/api.js';

/** A session, as the per-user channel sees it. */
export interface UserListener {
  readonly userId: UserId;
  sessionsRevoked(event: SessionsRevokedEvent): void;
  /** A chat event about this user published to the user rather than a chat (e.g. being added to a chat). */
  chatEvent(event: LiveChatEvent): void;
  /** One of the user's wallet balances moved (`kaif.ev.user.<id>.wallet`, from the wallet module). */
  walletBalance(event: WalletBalanceEvent): void;
}

/**
 * One bus subscription per connected user per node, to every durable subject
 * about that user (`kaif.ev.user.<id>.>`): session revocations from identity,
 * and chat events addressed to the user, such as being added to a chat the
 * node is not subscribed to yet. Reference-counted like ChatFanout.
 */
export class UserChannel {
  private readonly users = new Map<UserId, { readonly listeners: Set<UserListener>; readonly unsubscribe: Unsubscribe }>();

  constructor(private readonly bus: Bus) {}

  join(listener: UserListener): void {
    const entry = this.users.get(listener.userId);
    if (entry) {
      entry.listeners.add(listener);
      return;
    }
    const listeners = new Set<UserListener>([listener]);
    const unsubscribe = this.bus.subscribe(`kaif.ev.user.${listener.userId}.>`, (payload, subject) =>
      deliver(listeners, payload, subject),
    );
    this.users.set(listener.userId, { listeners, unsubscribe });
  }

  leave(listener: UserListener): void {
    const entry = this.users.get(listener.userId);
    if (!entry?.listeners.delete(listener) || entry.listeners.size > 0) return;
    entry.unsubscribe();
    this.users.delete(listener.userId);
  }

  /** Users with at least one connection on this node. */
  connectedUsers(): IterableIterator<UserId> {
    return this.users.keys();
  }

  close(): void {
    for (const entry of this.users.values()) entry.unsubscribe();
    this.users.clear();
  }
}

function deliver(listeners: ReadonlySet<UserListener>, payload: BusPayload, subject: string): void {
  const body = isEventEnvelope(payload) ? payload.body : payload;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  const record = body as Record<string, unknown>;
  if (subject.endsWith('.sessions') && record.type === 'sessions.revoked') {
    for (const listener of [...listeners]) listener.sessionsRevoked(record as unknown as SessionsRevokedEvent);
  } else if (subject.endsWith('.wallet') && record.type === 'wallet.balance') {
    for (const listener of listeners) listener.walletBalance(record as unknown as WalletBalanceEvent);
  } else if (typeof record.chatId === 'string' && typeof record.seq === 'number') {
    for (const listener of listeners) listener.chatEvent(record as unknown as LiveChatEvent);
  }
}
