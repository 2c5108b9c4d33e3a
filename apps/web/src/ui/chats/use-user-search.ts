import { useEffect, useState } from 'react';
import { useSession } from '../../app/session-context.js';
import type { User } from '../../state/types.js';

const DEBOUNCE_MS = 250;

/** Users found by username or display name (the server forgives a typo), fetched after typing pauses; never me. */
export function useUserSearch(query: string): { readonly users: readonly User[]; readonly searching: boolean } {
  const session = useSession();
  const [users, setUsers] = useState<readonly User[]>([]);
  const [searching, setSearching] = useState(false);
  const term = query.trim().replace(/^@/, '');

  useEffect(() => {
    if (!term) {
      setUsers([]);
      return;
    }
    let current = true;
    setSearching(true);
    const timer = setTimeout(() => {
      session.backend
        .searchUsers(term)
        .then((found) => {
          const meId = session.messenger.state.get().me?.id;
          if (current) setUsers(found.filter((user) => user.id !== meId));
        })
        .catch(() => current && setUsers([]))
        .finally(() => current && setSearching(false));
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [term, session]);

  return { users, searching };
}
