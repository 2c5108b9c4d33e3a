import { KaifError } from '../../platform/http/kaif-error.js';
import { atCapacity } from './api.js';
import type { BatchOperation } from './batch-operation.js';
import { type BatchWrites, ChatBatch } from './chat-batch.js';
import type { MessagingTransaction } from './event-log.js';
import type { MessagingDeps } from './messaging-deps.js';
import { PlaceHolds } from './place-holds.js';

export interface LogBatching {
  /** The most operations one transaction carries. */
  readonly maxBatch: number;
  /**
   * Independent lanes, each committing one batch at a time; a chat always
   * goes through the same lane, so lanes never wait on each other's chat
   * locks. One on PGlite (one connection), a few on PostgreSQL.
   */
  readonly lanes: number;
  /** How long an idle lane waits for company before it commits (0: the next turn of the event loop). */
  readonly windowMs: number;
  /**
   * Operations a lane holds waiting for a batch; beyond it new ones are
   * refused at once with DEPENDENCY_UNAVAILABLE and a retry hint (default:
   * four batches). Overload sheds new work at the door; what was admitted
   * commits.
   */
  readonly maxQueued?: number;
  /**
   * How long a place given by `admits` stays held for the operation that
   * asked (default 1 s). Between admission and submission a transport
   * spends a flood-budget round trip; without the hold, every frame of a
   * flood would be admitted while the queue is still short and pile up in
   * that round trip instead of being refused at the door.
   */
  readonly holdMs?: number;
  /** How a batch writes (see ChatBatch.write): one server-side function call (the default) or one statement per table. */
  readonly writes?: BatchWrites;
  /** Told of every committed or failed batch: how many operations it carried and how long its transaction took. */
  readonly observeBatch?: (operations: number, seconds: number) => void;
}

type Settled = { readonly ok: unknown } | { readonly error: unknown };

interface Pending {
  readonly operation: BatchOperation<unknown>;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for every append to a chat's log — sends, edits, deletes,
 * read markers, membership changes (Synapse persists events per room in
 * batches; PostgreSQL and Kafka commit groups of writes with one flush).
 * Operations that arrive while a lane is committing wait for the next batch:
 * one transaction that locks its chats once in id order, reads what its
 * operations need set-wise, applies each in arrival order in memory (so
 * within a chat they take effect in the order they arrived) and writes all
 * of them with one statement per table (see ChatBatch). Each caller is
 * answered after COMMIT, so an acknowledgement still means durable; an
 * operation that fails a check fails alone with its own error.
 */
export class LogBatcher {
  private readonly lanes: Lane[];

  constructor(deps: MessagingDeps, options: LogBatching) {
    this.lanes = Array.from({ length: Math.max(1, options.lanes) }, () => new Lane(deps, options));
  }

  submit<T>(operation: BatchOperation<T>): Promise<T> {
    return this.laneFor(operation.chatId).submit(operation) as Promise<T>;
  }

  /**
   * False while the chat's lane is full: an operation now would be refused,
   * so callers can refuse before spending anything on it. True holds a place
   * for that operation (see LogBatching.holdMs).
   */
  admits(chatId: string): boolean {
    return this.laneFor(chatId).admit();
  }

  private laneFor(chatId: string): Lane {
    return this.lanes[laneOf(chatId, this.lanes.length)]!;
  }
}

/** A chat's lane from its id's first hex digits; an id that is no UUID (refused later) takes lane 0. */
const laneOf = (chatId: string, lanes: number): number => (Number.parseInt(chatId.slice(0, 8), 16) || 0) % lanes;

class Lane {
  private queue: Pending[] = [];
  private busy = false;
  private scheduled = false;
  private readonly held: PlaceHolds;

  constructor(
    private readonly deps: MessagingDeps,
    private readonly options: LogBatching,
  ) {
    this.held = new PlaceHolds(options.holdMs ?? 1000);
  }

  private get capacity(): number {
    return this.options.maxQueued ?? this.options.maxBatch * 4;
  }

  admit(): boolean {
    const now = performance.now();
    if (this.queue.length + this.held.count(now) >= this.capacity) return false;
    this.held.add(now);
    return true;
  }

  submit(operation: BatchOperation<unknown>): Promise<unknown> {
    // An admitted operation brings its held place; one that was not competes for a free one.
    if (!this.held.take() && this.queue.length + this.held.count(performance.now()) >= this.capacity) return Promise.reject(atCapacity());
    return new Promise((resolve, reject) => {
      this.queue.push({ operation, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.busy || this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      void this.drain();
    };
    if (this.options.windowMs > 0) setTimeout(run, this.options.windowMs);
    else setImmediate(run);
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.options.maxBatch);
        const settled = await this.commit(batch.map((pending) => pending.operation));
        batch.forEach((pending, index) => {
          const outcome = settled[index]!;
          if ('ok' in outcome) pending.resolve(outcome.ok);
          else pending.reject(outcome.error);
        });
      }
    } finally {
      this.busy = false;
    }
  }

  /**
   * One transaction for the batch. Should it fail as a whole (a lost
   * connection, a constraint no check foresaw), each operation is retried
   * in a transaction of its own, so one bad operation cannot sink the others.
   */
  private async commit(operations: readonly BatchOperation<unknown>[]): Promise<Settled[]> {
    const started = performance.now();
    try {
      const { settled, appended } = await this.deps.db.transaction().execute((trx) => runBatch(trx, operations, this.options.writes));
      this.options.observeBatch?.(operations.length, (performance.now() - started) / 1000);
      if (appended > 0) this.deps.committed();
      return settled;
    } catch (error) {
      this.options.observeBatch?.(operations.length, (performance.now() - started) / 1000);
      // An outage fails every operation alike: retrying them one by one would only wait on it 512 times.
      if (operations.length === 1 || (error instanceof KaifError && error.code === 'DEPENDENCY_UNAVAILABLE')) return operations.map(() => ({ error }));
      const one: Settled[] = [];
      for (const operation of operations) one.push(...(await this.commit([operation])));
      return one;
    }
  }
}

/**
 * Applies the batch's operations in arrival order; a refusal (a KaifError)
 * settles that operation alone. Anything else is a fault of the batch as a
 * whole and rolls it back.
 */
async function runBatch(
  trx: MessagingTransaction,
  operations: readonly BatchOperation<unknown>[],
  writes: BatchWrites | undefined,
): Promise<{ settled: Settled[]; appended: number }> {
  const batch = await ChatBatch.open(trx, operations);
  const settled: Settled[] = [];
  for (const operation of operations) {
    try {
      settled.push({ ok: await operation.apply(batch) });
    } catch (error) {
      if (!(error instanceof KaifError)) throw error;
      settled.push({ error });
    }
  }
  return { settled, appended: await batch.write(writes) };
}
