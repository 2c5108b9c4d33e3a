import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface OrderUpdateView {
  readonly orderId: string;
  readonly state: string;
  readonly reason: string | null;
  readonly at: string;
  readonly order: { readonly id: string; readonly state: string; readonly buyerId: string; readonly sellerId: string; readonly listing: { readonly title: string } | null } | null;
}

export const UPDATE_FIELDS = 'orderId state reason at order { id state buyerId sellerId listing { title } }';

/** How a socket or a subscription ended. */
export interface Ending {
  readonly closeCode?: number;
  readonly closeReason?: string;
  /** The codes of the GraphQL errors the server answered the subscription with. */
  readonly codes?: readonly (string | undefined)[];
}

/** One subscription's updates as they arrive, and how it ended. */
export interface Subscription<T> {
  readonly received: T[];
  readonly ended: Promise<Ending>;
  /** Resolves once `predicate` holds for the updates received so far. */
  until(predicate: (received: readonly T[]) => boolean, what: string, timeoutMs?: number): Promise<readonly T[]>;
  stop(): void;
}

/**
 * A graphql-ws client (graphql-transport-ws, as browsers speak it) on
 * /api/graphql, with `connectionParams` as `connection_init`'s payload.
 * It never retries: a test sees each refusal as it happens.
 */
export function subscriber(server: { readonly url: string }, connectionParams: Record<string, unknown>): Client & { readonly closes: { code: number; reason: string }[] } {
  const closes: { code: number; reason: string }[] = [];
  const client = createClient({
    url: `${server.url.replace(/^http/, 'ws')}/api/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
    on: { closed: (event) => closes.push({ code: (event as { code: number }).code, reason: String((event as { reason: unknown }).reason) }) },
  });
  return Object.assign(client, { closes });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export function subscribe<T>(client: Client, query: string, variables: Record<string, unknown> = {}): Subscription<T> {
  const received: T[] = [];
  const waiters = new Set<() => void>();
  let settle: (ending: Ending) => void = () => undefined;
  const ended = new Promise<Ending>((resolve) => {
    settle = resolve;
  });
  const stop = client.subscribe<Record<string, T>>(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) {
          settle({ codes: result.errors.map((error) => (error.extensions as { code?: string } | undefined)?.code) });
          return;
        }
        const value = Object.values(result.data ?? {})[0];
        if (value !== undefined) received.push(value);
        for (const waiter of [...waiters]) waiter();
      },
      error: (error) => {
        if (Array.isArray(error)) settle({ codes: error.map((item: { extensions?: { code?: string } }) => item.extensions?.code) });
        else if (error && typeof error === 'object' && 'code' in error) settle({ closeCode: (error as { code: number }).code, closeReason: String((error as { reason?: unknown }).reason ?? '') });
        else settle({ closeReason: String(error) });
        for (const waiter of [...waiters]) waiter();
      },
      complete: () => settle({}),
    },
  );
  return {
    received,
    ended,
    stop,
    until(predicate, what, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(received)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(received);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; received ${JSON.stringify(received)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

/** The states of the updates, in the order they arrived. */
export const statesOf = (updates: readonly OrderUpdateView[]) => updates.map((update) => update.state);

/** Whether `wanted` appear in `states` in this order (other states may come between). */
export function inOrder(states: readonly string[], wanted: readonly string[]): boolean {
  let index = 0;
  for (const state of states) if (state === wanted[index]) index++;
  return index === wanted.length;
}
