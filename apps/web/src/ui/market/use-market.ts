import { useCallback, useEffect, useState } from 'react';
import { useSession } from '../../app/session-context.js';
import { MarketError } from '../../state/market-api.js';

export type Run = <T>(query: string, variables?: Readonly<Record<string, unknown>>) => Promise<T>;

/** The marketplace's GraphQL, through the session's backend (the signed-in user's token). */
export function useMarketQuery(): Run {
  const session = useSession();
  return useCallback(<T,>(query: string, variables?: Readonly<Record<string, unknown>>) => session.backend.graphql<T>(query, variables), [session]);
}

/**
 * Loads `query` and reloads it when `key` changes, or every `pollMs` when
 * given (a live page whose subscription was refused). `reload` runs it again at once.
 */
export function useMarketData<T>(query: string, variables: Readonly<Record<string, unknown>>, key: string, pollMs?: number) {
  const run = useMarketQuery();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the variables
  useEffect(() => {
    let live = true;
    const load = () =>
      run<T>(query, variables)
        .then((value) => {
          if (!live) return;
          setData(value);
          setError(null);
        })
        .catch((failure: unknown) => live && setError(failure instanceof MarketError ? failure.message : 'Could not load the marketplace.'));
    void load();
    const timer = pollMs ? setInterval(load, pollMs) : undefined;
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [run, query, key, tick, pollMs]);
  return { data, error, reload: () => setTick((value) => value + 1) };
}

/** While the live subscription cannot run (refused, or the server too old), pages fall back to polling this often. */
const FALLBACK_POLL_MS = 5000;

/**
 * `useMarketData` kept current by a GraphQL subscription instead of a poll:
 * each event of `subscription` reloads `query`, and so does every
 * (re)connect of the live socket, since events may have been missed while
 * it was down. Should the subscription be refused, it polls instead.
 */
export function useLiveMarketData<T>(query: string, variables: Readonly<Record<string, unknown>>, key: string, subscription: string) {
  const session = useSession();
  const [live, setLive] = useState(true);
  const loaded = useMarketData<T>(query, variables, key, live ? undefined : FALLBACK_POLL_MS);
  const { reload } = loaded;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the variables; `reload` only bumps a counter
  useEffect(() => {
    setLive(true);
    return session.backend.graphqlSubscribe(subscription, variables, { next: reload, resync: reload, error: () => setLive(false) });
  }, [session, subscription, key]);
  return loaded;
}

/** A message for a failed action: the server's words, or a generic line. */
export const failureText = (failure: unknown) => (failure instanceof MarketError ? failure.message : 'Something went wrong. Try again.');
