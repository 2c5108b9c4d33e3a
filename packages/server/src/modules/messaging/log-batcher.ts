import type { DatabaseKind } from '../../platform/db/database.js';
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
   * How many queued operations start a second batch while one is in flight
   * (default: an eighth of maxBatch). Fewer wait for the batch in flight and
   * go together in the next: on PostgreSQL, under light load, overlapping
   * batches of a few operations each cost more CPU per operation than one
   * larger batch, and that CPU is what the acknowledgements wait for. PGlite
   * takes 1: its one connection idles between batches otherwise.
   */
  readonly pipelineFrom?: number;
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
  /**
   * True while live delivery trails the commits by more than it should (the
   * outbox relay is behind): new operations are then refused as at
   * capacity too. Under overload a lane could commit faster than the relay
   * publishes and this process delivers; what it admitted beyond that would
   * be acknowledged at once and reach the chat's other devices only seconds
   * later (18 s behind after 30 s at ten times the sustainable rate).
   */
  readonly deliveryBehind?: () => boolean;
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

/**
 * How an engine's lanes run. PGlite has one connection: a second lane would
 * only queue behind the first, and the connection idles between batches
 * unless the next one already waits at its driver, so there a second batch
 * beside the one in flight pays however small. PostgreSQL: two lanes, each
 * holding one pooled connection, and the default pipelineFrom.
 */
export function engineBatching(kind: DatabaseKind): Pick<LogBatching, 'lanes' | 'pipelineFrom'> {
  return kind === 'pglite' ? { lanes: 1, pipelineFrom: 1 } : { lanes: 2 };
}

/** A chat's lane from its id's first hex digits; an id that is no UUID (refused later) takes lane 0. */
export const laneOf = (chatId: string, lanes: number): number => (Number.parseInt(chatId.slice(0, 8), 16) || 0) % lanes;

/** Batches a lane has in flight: one writes and commits while the next locks, reads and applies. */
const IN_FLIGHT = 2;

/**
 * A batch on its way: `opened` once it holds its chats' locks (or failed),
 * `whole` with whether it committed as one transaction, `done` with its
 * operations' outcomes — or `requeue` when it rolled back because the batch
 * before it did not commit, and its operations must run again, in order.
 */
interface Started {
  readonly pending: readonly Pending[];
  readonly opened: Promise<void>;
  readonly whole: Promise<boolean>;
  outcome?: Settled[] | 'requeue';
}

/** Thrown inside a batch whose predecessor did not commit: its transaction rolls back and its operations queue again. */
class PredecessorFailed extends Error {}

class Lane {
  private queue: Pending[] = [];
  /** In start order; each is answered only after those before it. */
  private readonly inFlight: Started[] = [];
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

  /** Whether what is queued starts a batch now: always when none is in flight, and beside one only with enough company. */
  private get ready(): boolean {
    if (this.queue.length === 0 || this.inFlight.length >= IN_FLIGHT) return false;
    return this.inFlight.length === 0 || this.queue.length >= (this.options.pipelineFrom ?? Math.max(1, Math.floor(this.options.maxBatch / 8)));
  }

  /** Whether a new operation finds no room: the lane is full, or delivery is behind. */
  private full(now: number): boolean {
    return this.queue.length + this.held.count(now) >= this.capacity || this.options.deliveryBehind?.() === true;
  }

  admit(): boolean {
    const now = performance.now();
    if (this.full(now)) return false;
    this.held.add(now);
    return true;
  }

  submit(operation: BatchOperation<unknown>): Promise<unknown> {
    // An admitted operation brings its held place; one that was not competes for a free one.
    if (!this.held.take() && this.full(performance.now())) return Promise.reject(atCapacity());
    return new Promise((resolve, reject) => {
      this.queue.push({ operation, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || !this.ready) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.startNext();
    };
    if (this.options.windowMs > 0) setTimeout(run, this.options.windowMs);
    else setImmediate(run);
  }

  /**
   * Starts a batch of what is queued, in turn after the one in flight if
   * any: while one writes and commits, the next takes its locks, reads and
   * applies its operations, so neither the database nor this thread waits on
   * the other between batches (beside one in flight only once enough has
   * queued: see LogBatching.pipelineFrom). Commits stay in order (see
   * commitInTurn).
   */
  private startNext(): void {
    if (!this.ready) return;
    const pending = this.queue.splice(0, this.options.maxBatch);
    let opened!: () => void;
    let whole!: (committed: boolean) => void;
    const started: Started = {
      pending,
      opened: new Promise<void>((resolve) => {
        opened = resolve;
      }),
      whole: new Promise<boolean>((resolve) => {
        whole = resolve;
      }),
    };
    const predecessor = this.inFlight.at(-1);
    this.inFlight.push(started);
    void this.commitInTurn(
      pending.map((p) => p.operation),
      predecessor,
      { opened, whole },
    ).then((outcome) => {
      started.outcome = outcome;
      this.answer();
    });
    this.schedule();
  }

  /**
   * Answers finished batches in the order they started. A batch that rolled
   * back because its predecessor did not commit takes every later batch with
   * it (each waits on the one before); once all have rolled back, their
   * operations queue again at the front, in order, behind the
   * predecessor's one-by-one retries, so a chat's log keeps the order in
   * which they arrived.
   */
  private answer(): void {
    while (this.inFlight[0]?.outcome !== undefined) {
      const { pending, outcome } = this.inFlight[0];
      if (outcome === 'requeue') {
        if (this.inFlight.some((batch) => batch.outcome === undefined)) return;
        this.queue.unshift(...this.inFlight.flatMap((batch) => batch.pending));
        this.inFlight.length = 0;
        break;
      }
      this.inFlight.shift();
      pending.forEach((p, index) => {
        const settled = outcome[index]!;
        if ('ok' in settled) p.resolve(settled.ok);
        else p.reject(settled.error);
      });
    }
    this.schedule();
  }

  /**
   * One transaction for the batch, in turn after its predecessor: it takes
   * its chat locks only once the predecessor holds its own (so where they
   * share a chat the predecessor goes first), and writes only once the
   * predecessor has committed — until then it holds no row the predecessor
   * could need, so the two cannot wait on each other unseen by the
   * database's deadlock detector. Should it fail as a whole (a lost
   * connection, a constraint no check foresaw), each operation is retried
   * in a transaction of its own, so one bad operation cannot sink the others.
   */
  private async commitInTurn(
    operations: readonly BatchOperation<unknown>[],
    predecessor: Started | undefined,
    signal: { readonly opened: () => void; readonly whole: (committed: boolean) => void },
  ): Promise<Settled[] | 'requeue'> {
    try {
      await predecessor?.opened;
      const settled = await this.transact(operations, { opened: signal.opened, mayWrite: predecessor?.whole });
      signal.whole(true);
      return settled;
    } catch (error) {
      signal.opened();
      signal.whole(false);
      if (error instanceof PredecessorFailed) return 'requeue';
      // An outage fails every operation alike: retrying them one by one would only wait on it 512 times.
      if (operations.length === 1 || (error instanceof KaifError && error.code === 'DEPENDENCY_UNAVAILABLE')) return operations.map(() => ({ error }));
      const one: Settled[] = [];
      for (const operation of operations) one.push(...(await this.transact([operation]).catch((failure: unknown) => [{ error: failure }])));
      return one;
    }
  }

  /** One transaction of runBatch, observed, waking the relay when it appended. */
  private async transact(operations: readonly BatchOperation<unknown>[], turn?: Turn): Promise<Settled[]> {
    const started = performance.now();
    try {
      const { settled, appended } = await this.deps.db.transaction().execute((trx) => runBatch(trx, operations, this.options.writes, turn));
      if (appended > 0) this.deps.committed();
      return settled;
    } finally {
      this.options.observeBatch?.(operations.length, (performance.now() - started) / 1000);
    }
  }
}

/** How a batch keeps its turn behind the one before it (see Lane.commitInTurn). */
interface Turn {
  /** Called once the batch holds its chat locks and has read what it needs. */
  readonly opened?: () => void;
  /** Whether the batch before committed; the batch writes only after it has. */
  readonly mayWrite?: Promise<boolean> | undefined;
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
  turn: Turn = {},
): Promise<{ settled: Settled[]; appended: number }> {
  const batch = await ChatBatch.open(trx, operations);
  turn.opened?.();
  const settled: Settled[] = [];
  for (const operation of operations) {
    try {
      settled.push({ ok: await operation.apply(batch) });
    } catch (error) {
      if (!(error instanceof KaifError)) throw error;
      settled.push({ error });
    }
  }
  if (turn.mayWrite && !(await turn.mayWrite)) throw new PredecessorFailed('the batch before this one did not commit');
  return { settled, appended: await batch.write(writes) };
}
