import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  Kysely,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { KaifError } from '../http/kaif-error.js';
import type { DependencyPolicy } from '../resilience/dependency-policy.js';

/**
 * Wraps a dialect so that taking a connection and running each statement go
 * through the database's dependency policy. Statements are not retried,
 * since one inside a transaction cannot be replayed on its own.
 */
export class ResilientDialect implements Dialect {
  constructor(
    private readonly inner: Dialect,
    private readonly policy: DependencyPolicy,
    /** True while the pool's wait queue is full: a new checkout is refused at once. */
    private readonly saturated: () => boolean,
  ) {}
  createAdapter() {
    return this.inner.createAdapter();
  }
  createDriver(): Driver {
    return new ResilientDriver(this.inner.createDriver(), this.policy, this.saturated);
  }
  createQueryCompiler() {
    return this.inner.createQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return this.inner.createIntrospector(db);
  }
}

class ResilientDriver implements Driver {
  private readonly wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(
    private readonly inner: Driver,
    private readonly policy: DependencyPolicy,
    private readonly saturated: () => boolean,
  ) {}

  init(): Promise<void> {
    return this.policy.execute(() => this.inner.init(), { idempotent: true });
  }

  /**
   * Admission: a checkout waits in the pool's bounded queue, or is refused
   * at once when the queue is full, so overload sheds new work fast instead
   * of stalling what is under way. Once a connection is held, its statements
   * skip the bulkhead (see CallOptions.admitted). The pool's own connection
   * timeout bounds the wait; a refused or broken connection still counts
   * against the breaker.
   */
  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.saturated()) throw poolBusy();
    const connection = await this.policy
      .execute(
        () =>
          this.inner.acquireConnection().catch((error: unknown) =>
            // Raised inside the policy as a KaifError, so the breaker does
            // not count our own saturation as the database failing.
            Promise.reject(isPoolTimeout(error) ? poolBusy() : error),
          ),
        { untimed: true, admitted: true },
      )
      .catch((error: unknown) => Promise.reject(asUnavailable(error)));
    let wrapped = this.wrapped.get(connection);
    if (!wrapped) {
      wrapped = new ResilientConnection(connection, this.policy);
      this.wrapped.set(connection, wrapped);
    }
    return wrapped;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(unwrap(connection), settings).catch((error: unknown) => Promise.reject(asUnavailable(error)));
  }
  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(unwrap(connection)).catch((error: unknown) => Promise.reject(asUnavailable(error)));
  }
  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(unwrap(connection)).catch((error: unknown) => Promise.reject(asUnavailable(error)));
  }
  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(connection));
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

class ResilientConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly policy: DependencyPolicy,
  ) {}
  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.policy
      .execute(() => this.inner.executeQuery<R>(query), { admitted: true })
      .catch((error: unknown) => Promise.reject(asUnavailable(error)));
  }
  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

/**
 * A lost connection (the server restarted, an operator terminated the
 * backend, the network dropped) is the database being unavailable, not a bug:
 * callers get 503 DEPENDENCY_UNAVAILABLE with a retry hint instead of a 500.
 * Whether a transaction cut off at commit landed is unknown, which is why
 * writes carry idempotency keys (clientMsgId).
 */
function asUnavailable(error: unknown): unknown {
  if (!isConnectionLoss(error)) return error;
  return new KaifError('DEPENDENCY_UNAVAILABLE', 'The database connection was lost; retry', { retryAfter: 1 });
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P02', '57P03']);

function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  return /Connection terminated|connection is closed|Client has encountered a connection error/i.test(error.message);
}

function isPoolTimeout(error: unknown): boolean {
  return error instanceof Error && /timeout exceeded when trying to connect/i.test(error.message);
}

function poolBusy(): KaifError {
  return new KaifError('DEPENDENCY_UNAVAILABLE', 'The database is busy; retry', { retryAfter: 1 });
}

function unwrap(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof ResilientConnection ? connection.inner : connection;
}
