/**
 * The last `capacity` event ids seen. The outbox relays at least once, so a
 * chat event may arrive twice; a client must not see its NewMessage twice.
 */
export class RecentEventIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** True when `id` was seen before; otherwise remembers it. */
  seenBefore(id: string): boolean {
    if (this.ids.has(id)) return true;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string);
    return false;
  }
}
