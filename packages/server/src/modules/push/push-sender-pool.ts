import { Piscina } from 'piscina';
import { type SendAnswer, type SendJob, type SenderSettings, createSendOne } from './push-sender.js';

/** Where the dispatcher's HTTP attempts run: this event loop, or sender threads. */
export interface PushSender {
  send(job: SendJob): Promise<SendAnswer>;
  /** Starts the sender threads ahead of the first push (the worker role opening); sending starts them too. */
  start?(): void;
  close(): Promise<void>;
}

export interface SenderThreads {
  /** Sender threads; 0 sends from the main event loop. */
  readonly threads: number;
  /** Added to the threads' nice value (Linux, macOS): under CPU contention sends get more of it than pushes. */
  readonly niceIncrement: number;
  /** Attempts in flight per thread (they are mostly waiting on the network). */
  readonly perThread: number;
}

const START = new URL('./push-sender-start.mjs', import.meta.url);

/**
 * The RFC 8291 encryption (a fresh P-256 key and ECDH per message) and the
 * HTTP exchange of every push run in a piscina pool of sender threads,
 * niced, so the main event loop — which accepts sends — only builds the
 * small job and reads the answer. A thread that dies is replaced by the
 * pool; its attempts in flight come back `unreachable` and are recorded as
 * failed like any network error.
 */
export function createPushSender(settings: SenderSettings, threads: SenderThreads): PushSender {
  if (threads.threads === 0) return createSendOne(settings);
  let pool: Piscina | undefined;
  // Started by the worker role (or the first push), so a process that never sends one (the API role) starts no thread.
  const create = () => new Piscina({
    filename: START.href,
    minThreads: threads.threads,
    maxThreads: threads.threads,
    concurrentTasksPerWorker: threads.perThread,
    niceIncrement: threads.niceIncrement,
    // The threads stay (no start-up churn); piscina unrefs an idle one, so it never keeps a stopping process alive.
    idleTimeout: Number.POSITIVE_INFINITY,
    workerData: settings,
    // Tasks wait on the network: a thread blocked in Atomics.wait between tasks would stall its sockets.
    atomics: 'disabled',
  });
  // A thread takes a second or more of CPU to load its code (seconds on a
  // busy host); pushes do not wait for it: until it answers, they go out
  // from this event loop, as with no threads.
  let warm = false;
  let fallback: PushSender | undefined;
  const start = () => {
    if (pool) return pool;
    pool = create();
    pool.run('warm').then(
      () => {
        warm = true;
      },
      () => undefined,
    );
    return pool;
  };
  return {
    async send(job) {
      const threads = start();
      if (!warm) {
        fallback ??= createSendOne(settings);
        return fallback.send(job);
      }
      try {
        return (await threads.run(job)) as SendAnswer;
      } catch (error) {
        return { kind: 'unreachable', detail: `push sender thread failed: ${(error as Error).message}` };
      }
    },
    start() {
      start();
    },
    close: async () => {
      await fallback?.close();
      await pool?.destroy();
    },
  };
}
