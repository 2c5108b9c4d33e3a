import { useEffect, useState } from 'react';
import { useSession } from '../../app/session-context.js';
import type { SignInProvider } from '../../state/types.js';

/**
 * "Continue with …" for each provider the server has; nothing at all when
 * it has none. Each is a plain link: the browser itself goes to the server,
 * which sends it on to the provider.
 */
export function ProviderButtons() {
  const session = useSession();
  const [providers, setProviders] = useState<readonly SignInProvider[]>([]);
  useEffect(() => {
    session.backend.providers().then(setProviders, () => setProviders([]));
  }, [session]);
  if (providers.length === 0) return null;
  return (
    <nav className="provider-buttons" aria-label="Other ways to sign in">
      <p className="provider-divider">
        <span>or</span>
      </p>
      {providers.map((provider) => (
        <a key={provider.id} className="button provider-button" href={session.backend.providerStartUrl(provider.id)}>
          Continue with {provider.name}
        </a>
      ))}
    </nav>
  );
}
