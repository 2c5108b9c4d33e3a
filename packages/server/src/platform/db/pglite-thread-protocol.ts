/**
 * What crosses the MessagePort between the main thread and the PGlite worker.
 * Everything here survives structured clone: query parameters and rows
 * (numbers, strings, Date, plain objects, Uint8Array), Blob dumps, and errors
 * flattened to their fields, because a cloned Error keeps only its message.
 */

/** Each call the worker answers: its arguments and what it resolves with. */
export interface ThreadCalls {
  open: { args: { dataDir: string | undefined; loadDataDir: Blob | undefined }; result: undefined };
  /** `begin`, when set, opens a transaction just before the query: a transaction's BEGIN costs no crossing of its own. */
  query: { args: { sql: string; params: readonly unknown[]; begin?: string }; result: QueryReply };
  /** The request's id names the subscription; each NOTIFY comes back as a NotifyMessage. */
  listen: { args: { channel: string }; result: undefined };
  unlisten: { args: { subscription: number }; result: undefined };
  dump: { args: Record<string, never>; result: Blob };
  /** Closes PGlite, so the data directory is left consistent before the thread ends. */
  close: { args: Record<string, never>; result: undefined };
}

export type CallName = keyof ThreadCalls;

export type ThreadRequest = { [K in CallName]: { id: number; kind: K } & ThreadCalls[K]['args'] }[CallName];

export interface QueryReply {
  readonly rows: unknown[];
  /** PGlite's count for INSERT/UPDATE/DELETE; 0 or absent otherwise. */
  readonly affectedRows: number | undefined;
}

/**
 * A PostgreSQL error's message and its own fields (code = SQLSTATE, detail,
 * constraint, table, …), which callers test to tell a unique violation from
 * an outage.
 */
export interface ErrorFields {
  readonly message: string;
  readonly fields: Readonly<Record<string, string | number>>;
}

export type ThreadMessage =
  | { kind: 'result'; id: number; value: ThreadCalls[CallName]['result'] }
  | { kind: 'failure'; id: number; error: ErrorFields }
  | NotifyMessage;

export interface NotifyMessage {
  kind: 'notify';
  subscription: number;
}
