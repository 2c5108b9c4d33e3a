import { createContext, useContext } from 'react';
import type { Messenger } from '../state/messenger.js';
import type { Session } from '../state/session.js';

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionContext');
  return session;
}

export function useMessenger(): Messenger {
  return useSession().messenger;
}
