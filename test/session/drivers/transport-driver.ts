import type { TestServer } from '../../support/test-server.js';

/** What a client saw, in every transport's own words brought to one shape. */
export type Seen =
  | { readonly kind: 'message'; readonly chatId: string; readonly id: string; readonly senderId: string; readonly text: string; readonly seq: number }
  | { readonly kind: 'typing'; readonly chatId: string; readonly userId: string }
  | { readonly kind: 'presence'; readonly userId: string; readonly status: string };

export type SendOutcome =
  | { readonly ok: true; readonly messageId: string }
  | { readonly ok: false; readonly code: string; readonly retryAfter?: number };

/** Where a client stood when it went away: a feed cursor where the transport has one, and the last seq it saw in a chat. */
export interface ResumePoint {
  readonly cursor: string | null;
  readonly chatId: string;
  readonly seq: number;
}

/** One signed-in client connection, over whichever transport. */
export interface DriverClient {
  readonly inbox: Inbox;
  send(chatId: string, text: string, clientMsgId?: string): Promise<SendOutcome>;
  /** Undefined when accepted, else the code it was refused with. */
  typing(chatId: string): Promise<string | undefined>;
  /** Where this client could resume from, for `chatId`. */
  resumePoint(chatId: string): ResumePoint;
  /** Resolves when the server closes the connection. */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/** A transport, as a behaviour test drives it. */
export interface TransportDriver {
  readonly name: string;
  /** Connects, authenticates and starts live delivery (from now). */
  connect(server: TestServer, token: string): Promise<DriverClient>;
  /** Whether the server refuses this token (and keeps nothing open for it). */
  refuses(server: TestServer, token: string): Promise<boolean>;
  /** Reconnects from `from` and returns the texts of what was missed in its chat, oldest first. */
  catchUp(server: TestServer, token: string, from: ResumePoint): Promise<string[]>;
}

/** What a client received, waited on by predicate. */
export class Inbox {
  private readonly items: Seen[] = [];
  private waiters: (() => void)[] = [];

  push(item: Seen): void {
    this.items.push(item);
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** Takes the first item matching `predicate`, waiting up to `timeoutMs`. */
  next(predicate: (item: Seen) => boolean, timeoutMs = 5_000): Promise<Seen> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a matching event')), timeoutMs);
      const check = () => {
        const index = this.items.findIndex(predicate);
        if (index < 0) {
          this.waiters.push(check);
          return;
        }
        clearTimeout(timer);
        resolve(this.items.splice(index, 1)[0]!);
      };
      check();
    });
  }

  count(predicate: (item: Seen) => boolean): number {
    return this.items.filter(predicate).length;
  }
}

/** Tracks the resume point from what a client saw. */
export class ResumeTracker {
  private cursor: string | null = null;
  private readonly seqs = new Map<string, number>();

  saw(cursor: string | null | undefined, chatId?: string, seq?: number): void {
    if (cursor) this.cursor = cursor;
    if (chatId !== undefined && seq !== undefined) this.seqs.set(chatId, Math.max(seq, this.seqs.get(chatId) ?? 0));
  }

  point(chatId: string): ResumePoint {
    return { cursor: this.cursor, chatId, seq: this.seqs.get(chatId) ?? 0 };
  }
}

export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error as Error);
      },
    );
  });
}
