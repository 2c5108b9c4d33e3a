import { useEffect, useState } from 'react';
import { useMessenger } from '../../app/session-context.js';
import type { SearchHit } from '../../state/types.js';

const DEBOUNCE_MS = 300;
/** Shorter words match too much to be worth a request. */
const MIN_CHARS = 2;

/** Messages in my chats matching `query`, fetched after typing pauses; `more` fetches the next page. */
export function useMessageSearch(query: string): {
  readonly hits: readonly SearchHit[];
  readonly searching: boolean;
  readonly more: (() => void) | null;
} {
  const messenger = useMessenger();
  const [hits, setHits] = useState<readonly SearchHit[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [searching, setSearching] = useState(false);
  const term = query.trim();

  useEffect(() => {
    setHits([]);
    setCursor(undefined);
    if (term.length < MIN_CHARS) return;
    let current = true;
    setSearching(true);
    const timer = setTimeout(() => {
      messenger
        .searchMessages(term)
        .then((page) => {
          if (!current) return;
          setHits(page.hits);
          setCursor(page.nextCursor);
        })
        .catch(() => current && setHits([]))
        .finally(() => current && setSearching(false));
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [term, messenger]);

  const more =
    cursor && !searching
      ? () => {
          setSearching(true);
          messenger
            .searchMessages(term, cursor)
            .then((page) => {
              setHits((previous) => [...previous, ...page.hits.filter((hit) => !previous.some((seen) => seen.id === hit.id))]);
              setCursor(page.nextCursor);
            })
            .catch(() => setCursor(undefined))
            .finally(() => setSearching(false));
        }
      : null;
  return { hits, searching, more };
}
