import { Worker } from 'node:worker_threads';
import { KaifError } from '../http/kaif-error.js';
import type { CallName, ErrorFields, ThreadCalls, ThreadMessage } from './pglite-thread-protocol.js';

/** Registers tsx in the new thread, then loads pglite-worker.ts. */
const WORKER_ENTRY = new URL('./pglite-worker-start.mjs', import.meta.url);

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * PGlite in a worker thread (pglite-worker.ts), so its synchronous WASM work
 * never blocks the main event loop. Calls are answered by id; the worker is
 * referenced only while a call is in flight, so a database nobody closed does
 * not keep the process alive, and one that is working does.
 */
export class PgliteThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<number, () => void>();
  private nextId = 1;
  /** Set once the thread can no longer answer; every later call fails with it. */
  private stopped: Error | undefined;
  private crash: Error | undefined;
  private closing: Promise<void> | undefined;

  static async start(options: ThreadCalls['open']['args']): Promise<PgliteThread> {
    const thread = new PgliteThread();
    try {
      await thread.call('open', options);
    } catch (error) {
      await thread.worker.terminate();
      throw error;
    }
    return thread;
  }

  private constructor() {
    this.worker = new Worker(WORKER_ENTRY);
    this.worker.unref();
    this.worker.on('message', (message: ThreadMessage) => this.receive(message));
    // A crash (a WASM abort, the entry failing to load) is followed by 'exit'.
    this.worker.on('error', (error) => {
      this.crash = error;
    });
    this.worker.on('exit', (exitCode) =>
      this.stop(
        this.crash ??
          new KaifError('DEPENDENCY_UNAVAILABLE', `The embedded database stopped (exit code ${exitCode})`, { retryAfter: 1 }),
      ),
    );
  }

  call<K extends CallName>(kind: K, args: ThreadCalls[K]['args']): Promise<ThreadCalls[K]['result']> {
    return this.send(kind, args, this.nextId++);
  }

  private send<K extends CallName>(kind: K, args: ThreadCalls[K]['args'], id: number): Promise<ThreadCalls[K]['result']> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.worker.postMessage({ id, kind, ...args });
    });
  }

  /** Each NOTIFY on the channel, after its commit, runs onNotify on this thread. */
  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    const subscription = this.nextId++;
    this.listeners.set(subscription, onNotify);
    try {
      await this.send('listen', { channel }, subscription);
    } catch (error) {
      this.listeners.delete(subscription);
      throw error;
    }
    return async () => {
      this.listeners.delete(subscription);
      // A closed database has no subscriptions left to drop.
      if (!this.stopped) await this.call('unlisten', { subscription });
    };
  }

  /** Closes PGlite inside the worker first, so the data directory is consistent, then ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        if (!this.stopped) await this.call('close', {});
      } finally {
        this.stop(new KaifError('DEPENDENCY_UNAVAILABLE', 'The embedded database is closed', { retryAfter: 1 }));
        await this.worker.terminate();
      }
    })();
    return this.closing;
  }

  private receive(message: ThreadMessage): void {
    if (message.kind === 'notify') {
      this.listeners.get(message.subscription)?.();
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.worker.unref();
    if (message.kind === 'result') pending.resolve(message.value);
    else pending.reject(rebuild(message.error));
  }

  private stop(error: Error): void {
    if (this.stopped) return;
    this.stopped = error;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.listeners.clear();
  }
}

/**
 * The worker's error as callers know it from in-thread PGlite: same message,
 * same `code` (SQLSTATE), `detail`, `constraint`, `table` … fields.
 */
function rebuild({ message, fields }: ErrorFields): Error {
  return Object.assign(new Error(message), fields);
}
