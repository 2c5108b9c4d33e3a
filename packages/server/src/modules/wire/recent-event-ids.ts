import { LRUCache } from 'lru-cache';

/**
 * The last `capacity` event ids seen. The outbox relays at least once, so a
 * chat event may arrive twice; a client must not see its NewMessage twice.
 */
export class RecentEventIds {
  private readonly ids: LRUCache<string, true>;

  constructor(capacity: number) {
    this.ids = new LRUCache<string, true>({ max: capacity });
  }

  /** True when `id` was seen before; otherwise remembers it. */
  seenBefore(id: string): boolean {
    if (this.ids.has(id)) return true;
    this.ids.set(id, true);
    return false;
  }
}
