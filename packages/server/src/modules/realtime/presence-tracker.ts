import type { PresenceStatus, UserId } from '@kaif/protocol';
import type { Bus } from '../../platform/bus/bus.js';
import type { KeyValueStore } from '../../platform/kv/key-value-store.js';
import type { Logger } from '../../platform/logging/logger.js';
import type { IdentityApi } from '../identity/api.js';
import type { MessagingApi } from '../messaging/api.js';
import type { Presence } from './api.js';
import { chatPresenceSubject } from '../../platform/bus/live-subjects.js';
import type { PresenceUpdate } from './chat-fanout.js';

const connectionsKey = (userId: UserId) => `presence:connections:${userId}`;
const aliveKey = (userId: UserId) => `presence:alive:${userId}`;
const lastSeenKey = (userId: UserId) => `presence:last-seen:${userId}`;

/**
 * Online/offline state in the shared key-value store, so it holds across
 * nodes. A user is online while any connection lives on any node: a counter
 * of connections decides the transitions (first in → online, last out →
 * offline), and an "alive" key with a TTL, refreshed by every node holding a
 * connection at each heartbeat, is what readers trust — so a node that dies
 * without decrementing leaves its users online for at most one TTL.
 *
 * Transitions are published live to the user's contacts: the other member of
 * each of their direct chats — unless the user's privacy setting shows their
 * presence to nobody.
 */
export class PresenceTracker {
  constructor(
    private readonly kv: KeyValueStore,
    private readonly bus: Bus,
    private readonly messaging: MessagingApi,
    private readonly identity: Pick<IdentityApi, 'presenceVisibilityOf'>,
    private readonly ttlMs: number,
    private readonly logger: Logger,
  ) {}

  async connected(userId: UserId): Promise<void> {
    const count = await this.kv.increment(connectionsKey(userId), 1);
    await this.kv.set(aliveKey(userId), '1', this.ttlMs);
    if (count === 1) await this.announce({ userId, status: 'online', lastSeen: null });
  }

  async disconnected(userId: UserId): Promise<void> {
    const count = await this.kv.increment(connectionsKey(userId), -1);
    if (count > 0) return;
    if (count < 0) await this.kv.set(connectionsKey(userId), '0');
    const lastSeen = new Date().toISOString();
    await this.kv.delete(aliveKey(userId));
    await this.kv.set(lastSeenKey(userId), lastSeen);
    await this.announce({ userId, status: 'offline', lastSeen });
  }

  /**
   * An explicit status (TCP and UDP `Status` packets) told to the user's
   * contacts like a transition. It is live only: the stored presence
   * (`presenceOf`) follows open connections.
   */
  announceStatus(userId: UserId, status: PresenceStatus): Promise<void> {
    return this.announce({ userId, status, lastSeen: status === 'online' ? null : new Date().toISOString() });
  }

  /** Called at every heartbeat for the users connected to this node. */
  async refresh(userIds: Iterable<UserId>): Promise<void> {
    await Promise.all([...userIds].map((userId) => this.kv.set(aliveKey(userId), '1', this.ttlMs)));
  }

  async presenceOf(userIds: readonly UserId[]): Promise<Presence[]> {
    if (userIds.length === 0) return [];
    const values = await this.kv.getMany([...userIds.map(aliveKey), ...userIds.map(lastSeenKey)]);
    return userIds.map((userId, index) => {
      const online = values[index] !== null;
      return { userId, status: online ? 'online' : 'offline', lastSeen: online ? null : (values[userIds.length + index] ?? null) };
    });
  }

  private async announce(update: PresenceUpdate): Promise<void> {
    try {
      if ((await this.identity.presenceVisibilityOf(update.userId)) === 'nobody') return;
      for (const chat of await this.messaging.chatsOf(update.userId)) {
        if (chat.type === 'direct') this.bus.publish(chatPresenceSubject(chat.chatId), { ...update });
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, userId: update.userId }, 'could not announce presence');
    }
  }
}
