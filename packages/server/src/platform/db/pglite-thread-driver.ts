import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type { PgliteThread } from './pglite-thread.js';

/**
 * Kysely over PGlite in its worker thread. Same semantics as
 * kysely-pglite-dialect, which ran PGlite on this thread: one connection, so
 * a transaction holds it from BEGIN to COMMIT and every other query waits its
 * turn, in arrival order.
 */
export class PgliteThreadDialect implements Dialect {
  constructor(private readonly thread: PgliteThread) {}
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PgliteThreadDriver(this.thread);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
}

class PgliteThreadDriver implements Driver {
  private readonly connection: PgliteThreadConnection;
  private held = false;
  private readonly waiting: ((connection: DatabaseConnection) => void)[] = [];

  constructor(thread: PgliteThread) {
    this.connection = new PgliteThreadConnection(thread);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    if (!this.held) {
      this.held = true;
      return this.connection;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async releaseConnection(): Promise<void> {
    const next = this.waiting.shift();
    if (next) next(this.connection);
    else this.held = false;
  }

  // The driver's one connection is the only one Kysely can hand back here.
  async beginTransaction(_connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const isolation = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : '';
    const access = settings.accessMode ? ` ${settings.accessMode}` : '';
    this.connection.beginWithNextQuery(`start transaction${isolation}${access}`);
  }

  async commitTransaction(): Promise<void> {
    await this.connection.endTransaction('commit');
  }

  async rollbackTransaction(): Promise<void> {
    await this.connection.endTransaction('rollback');
  }

  /** The thread belongs to the Database, which closes it after Kysely. */
  async destroy(): Promise<void> {}
}

/**
 * The connection holds a transaction's BEGIN back until its first query and
 * sends both in one message: each crossing to the worker waits for this
 * thread's event loop, and a batch of sends makes few enough (lock, reads,
 * write, COMMIT) that one less is felt in its sends per second.
 */
class PgliteThreadConnection implements DatabaseConnection {
  private pendingBegin: string | undefined;

  constructor(private readonly thread: PgliteThread) {}

  beginWithNextQuery(begin: string): void {
    this.pendingBegin = begin;
  }

  /** A transaction that ran no query never began: there is nothing to end. */
  async endTransaction(statement: 'commit' | 'rollback'): Promise<void> {
    if (this.pendingBegin !== undefined) {
      this.pendingBegin = undefined;
      return;
    }
    await this.executeQuery(CompiledQuery.raw(statement));
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const begin = this.pendingBegin;
    this.pendingBegin = undefined;
    const { rows, affectedRows } = await this.thread.call('query', { sql: query.sql, params: query.parameters, ...(begin ? { begin } : {}) });
    return {
      rows: rows as R[],
      ...(affectedRows ? { numAffectedRows: BigInt(affectedRows) } : {}),
    };
  }

  /** PGlite returns whole results; they are handed out in chunks, as kysely-pglite-dialect does. */
  async *streamQuery<R>(query: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    const { rows } = await this.executeQuery<R>(query);
    for (let start = 0; start < rows.length; start += chunkSize) yield { rows: rows.slice(start, start + chunkSize) };
  }
}
