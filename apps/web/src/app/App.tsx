import { useEffect } from 'react';
import { useStore } from '../state/store.js';
import { AuthScreen } from '../ui/auth/AuthScreen.js';
import { Shell } from '../ui/Shell.js';
import { useRoute } from './router.js';
import { useSession } from './session-context.js';

export function App() {
  const session = useSession();
  const state = useStore(session.state, (value) => value);
  const route = useRoute();

  useEffect(() => {
    document.title = 'Kaif Lake';
  }, []);

  if (state.status === 'restoring') {
    return (
      <div className="splash" role="status" aria-label="Loading">
        <span className="brand-mark" aria-hidden="true" />
      </div>
    );
  }
  return state.status === 'signed-in' ? <Shell route={route} /> : <AuthScreen />;
}
