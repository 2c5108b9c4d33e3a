import { parentPort } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { ErrorFields, ThreadCalls, ThreadMessage, ThreadRequest } from './pglite-thread-protocol.js';

/**
 * The worker thread that owns PGlite. PGlite runs each statement
 * synchronously in WASM, so here it blocks only this thread: the main thread
 * keeps serving sockets while the database works on the other core.
 * Started by PgliteThread; answers one message per request, in any order.
 */

if (!parentPort) throw new Error('pglite-worker.ts runs as a worker thread, started by PgliteThread');
const port = parentPort;

let pglite: PGlite | undefined;
const subscriptions = new Map<number, () => Promise<void>>();

type Handlers = {
  [K in keyof ThreadCalls]: (request: Extract<ThreadRequest, { kind: K }>) => Promise<ThreadCalls[K]['result']>;
};

const handlers: Handlers = {
  async open({ dataDir, loadDataDir }) {
    pglite = await PGlite.create({
      // The extensions migrations may create (CREATE EXTENSION); PGlite
      // loads only those named here. pg_trgm: people search (identity).
      extensions: { pg_trgm },
      // int8 holds counters and sequence numbers that fit in 2^53, as with pg.
      parsers: { 20: (value: string) => Number(value) },
      ...(dataDir ? { dataDir } : {}),
      ...(loadDataDir ? { loadDataDir } : {}),
    });
    return undefined;
  },
  async query({ sql, params, begin }) {
    if (begin) await opened().query(begin);
    const result = await opened().query(sql, [...params]);
    return { rows: result.rows, affectedRows: result.affectedRows };
  },
  async listen({ id, channel }) {
    const notify: ThreadMessage = { kind: 'notify', subscription: id };
    subscriptions.set(id, await opened().listen(channel, () => port.postMessage(notify)));
    return undefined;
  },
  async unlisten({ subscription }) {
    await subscriptions.get(subscription)?.();
    subscriptions.delete(subscription);
    return undefined;
  },
  dump: () => opened().dumpDataDir('none'),
  async close() {
    await pglite?.close();
    pglite = undefined;
    return undefined;
  },
};

port.on('message', (request: ThreadRequest) => {
  const handle = handlers[request.kind] as (request: ThreadRequest) => Promise<ThreadCalls[keyof ThreadCalls]['result']>;
  handle(request).then(
    (value) => answer(request.id, value),
    (error: unknown) => port.postMessage(failure(request.id, error)),
  );
});

/** A result that cannot be cloned fails its own request instead of the thread. */
function answer(id: number, value: ThreadCalls[keyof ThreadCalls]['result']): void {
  try {
    port.postMessage({ kind: 'result', id, value } satisfies ThreadMessage);
  } catch (error) {
    port.postMessage(failure(id, error));
  }
}

function failure(id: number, error: unknown): ThreadMessage {
  return { kind: 'failure', id, error: fieldsOf(error) };
}

function opened(): PGlite {
  if (!pglite) throw new Error('the embedded database is not open');
  return pglite;
}

/** Keeps the primitive fields PostgreSQL errors carry; drops params and options, which may not clone. */
function fieldsOf(error: unknown): ErrorFields {
  if (!(error instanceof Error)) return { message: String(error), fields: {} };
  const fields: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(error)) {
    if (typeof value === 'string' || typeof value === 'number') fields[key] = value;
  }
  return { message: error.message, fields };
}
