/** Where one consumer of a MemoryStream is: the absolute position of the next event it reads. */
export interface StreamReader {
  position: number;
}

export interface StreamRetention {
  /**
   * Events kept after every reader has passed them, so a consumer opened
   * later from the first event (one that starts after the outbox relay has
   * already published) still finds the recent past.
   */
  readonly keepRecent: number;
  /**
   * The most events kept at all, read or not (JetStream's limits retention
   * plays the same part). A reader that falls further behind skips to the
   * oldest event still kept.
   */
  readonly maxRetained: number;
}

/** Dropping from the front of an array copies the rest: drop in chunks of at least this many. */
const TRIM_CHUNK = 1024;

/**
 * The memory bus's durable stream. A process that runs for months publishes
 * millions of events; keeping each one until exit, as a plain array would,
 * makes the embedded server's memory grow without bound. This keeps only
 * what a reader has yet to read, plus `keepRecent`, within `maxRetained`.
 */
export class MemoryStream<T> {
  private events: T[] = [];
  /** The absolute position of `events[0]`. */
  private base = 0;
  private readonly readers = new Set<StreamReader>();

  constructor(private readonly retention: StreamRetention) {}

  /** How many events are held in memory. */
  get retained(): number {
    return this.events.length;
  }

  private get end(): number {
    return this.base + this.events.length;
  }

  append(event: T): void {
    this.events.push(event);
    this.trim();
  }

  open(from: 'first' | 'new'): StreamReader {
    const reader = { position: from === 'new' ? this.end : this.base };
    this.readers.add(reader);
    return reader;
  }

  close(reader: StreamReader): void {
    this.readers.delete(reader);
    this.trim();
  }

  /** The reader's next event, or undefined when it has read everything. */
  next(reader: StreamReader): T | undefined {
    if (reader.position < this.base) reader.position = this.base;
    return this.events[reader.position - this.base];
  }

  /** The reader is done with its next event. */
  advance(reader: StreamReader): void {
    reader.position++;
    this.trim();
  }

  private trim(): void {
    let keepFrom = this.end - this.retention.keepRecent;
    for (const reader of this.readers) keepFrom = Math.min(keepFrom, reader.position);
    keepFrom = Math.max(keepFrom, this.end - this.retention.maxRetained);
    const drop = keepFrom - this.base;
    if (drop < TRIM_CHUNK) return;
    this.events = this.events.slice(drop);
    this.base = keepFrom;
  }
}
