/**
 * Places held between admission and submission, oldest first; a hold
 * lapses after `ttlMs` (the send was dropped on the way, e.g. refused by
 * the flood budget), so a lost hold never shrinks the lane for good.
 */
export class PlaceHolds {
  private times: number[] = [];
  private head = 0;

  constructor(private readonly ttlMs: number) {}

  add(now: number): void {
    this.times.push(now);
  }

  /** Uses the oldest hold; false when none is held. */
  take(): boolean {
    if (this.head === this.times.length) return false;
    this.head++;
    this.compact();
    return true;
  }

  count(now: number): number {
    while (this.head < this.times.length && now - this.times[this.head]! > this.ttlMs) this.head++;
    this.compact();
    return this.times.length - this.head;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}
