import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type DatabaseConnection,
  type Dialect,
  type Driver,
  Kysely,
  type KyselyConfig,
  type Transaction,
  type TransactionBuilder,
  type TransactionSettings,
} from 'kysely';

/**
 * Which database's transaction callback the current async flow runs in.
 * Keyed by guard, so two databases in one process (two test nodes) never
 * flag each other.
 */
const openTransaction = new AsyncLocalStorage<TransactionGuard>();

/**
 * A query went to the root handle from inside a transaction of the same
 * database. On PGlite (one connection) it would wait forever for the
 * transaction that waits for it; on PostgreSQL it would run outside the
 * transaction's snapshot and hold a second pooled connection. Thrown on both
 * engines alike, so a test on either finds the caller; the client sees 500
 * INTERNAL and the log carries the stack.
 */
export class RootQueryInTransactionError extends Error {
  readonly code = 'ROOT_QUERY_IN_TRANSACTION';

  constructor() {
    super('a query used the root database handle inside an open transaction; use the transaction, or run it before or after');
    this.name = 'RootQueryInTransactionError';
  }
}

class TransactionGuard {
  /** Runs a transaction's callback marked as inside this database's transaction. */
  inside<T>(work: () => Promise<T>): Promise<T> {
    return openTransaction.run(this, work);
  }

  assertOutside(): void {
    if (openTransaction.getStore() === this) throw new RootQueryInTransactionError();
  }
}

/**
 * Runs `work` as if no transaction were open: for work started from inside a
 * transaction callback that is meant to outlive it and that the transaction
 * never awaits, or that needs a second connection on purpose (PostgreSQL
 * only, e.g. a test ending the transaction's own backend). Awaiting it from
 * the transaction would still deadlock on PGlite.
 */
export function outsideTransaction<T>(work: () => T): T {
  return openTransaction.exit(work);
}

/**
 * A Kysely instance whose transaction callbacks run marked, and whose driver
 * refuses a new connection to a flow so marked. Every root-handle query
 * takes a connection from the driver; queries on a transaction reuse the
 * transaction's, so only the nested root-handle use is refused. Only
 * `transaction().execute(callback)` marks its flow: a controlled
 * transaction (`startTransaction`) has no callback to mark, and nothing
 * here uses one.
 */
export function guardedKysely(dialect: Dialect): Kysely<unknown> {
  const guard = new TransactionGuard();
  return new GuardedKysely({ dialect: new GuardedDialect(dialect, guard) }, guard);
}

class GuardedKysely<DB> extends Kysely<DB> {
  constructor(
    config: KyselyConfig,
    private readonly guard: TransactionGuard,
  ) {
    super(config);
  }

  override transaction(): TransactionBuilder<DB> {
    return guardedBuilder(super.transaction(), this.guard);
  }
}

// TransactionBuilder has private fields, so a wrapper with its three methods
// stands in for it; setIsolationLevel and setAccessMode stay guarded.
function guardedBuilder<DB>(inner: TransactionBuilder<DB>, guard: TransactionGuard): TransactionBuilder<DB> {
  const builder = {
    setAccessMode: (mode: Parameters<TransactionBuilder<DB>['setAccessMode']>[0]) => guardedBuilder(inner.setAccessMode(mode), guard),
    setIsolationLevel: (level: Parameters<TransactionBuilder<DB>['setIsolationLevel']>[0]) =>
      guardedBuilder(inner.setIsolationLevel(level), guard),
    execute: <T>(callback: (trx: Transaction<DB>) => Promise<T>) => inner.execute((trx) => guard.inside(() => callback(trx))),
  };
  return builder as unknown as TransactionBuilder<DB>;
}

class GuardedDialect implements Dialect {
  constructor(
    private readonly inner: Dialect,
    private readonly guard: TransactionGuard,
  ) {}
  createAdapter() {
    return this.inner.createAdapter();
  }
  createDriver(): Driver {
    return new GuardedDriver(this.inner.createDriver(), this.guard);
  }
  createQueryCompiler() {
    return this.inner.createQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return this.inner.createIntrospector(db);
  }
}

class GuardedDriver implements Driver {
  constructor(
    private readonly inner: Driver,
    private readonly guard: TransactionGuard,
  ) {}
  init(): Promise<void> {
    return this.inner.init();
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    this.guard.assertOutside();
    return this.inner.acquireConnection();
  }
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(connection, settings);
  }
  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }
  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }
  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(connection);
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
