import { useCallback, useEffect, useState } from 'react';
import { useSession } from '../../app/session-context.js';
import { toShownError } from '../../state/errors.js';
import type { ExternalIdentityList, SignInProvider } from '../../state/types.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { useShownError } from '../common/use-shown-error.js';

/**
 * The providers this account signs in with: link another (the browser goes
 * to the provider and comes back here) or unlink one, which the server
 * refuses when it is the last way in.
 */
export function LinkedProvidersSection() {
  const session = useSession();
  const errors = useShownError();
  const [providers, setProviders] = useState<readonly SignInProvider[]>([]);
  const [linked, setLinked] = useState<ExternalIdentityList | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const showError = errors.show;

  const load = useCallback(() => {
    session.backend.providers().then(setProviders, showError);
    session.backend.linkedProviders().then(setLinked, showError);
  }, [session, showError]);
  useEffect(load, [load]);

  useEffect(() => {
    const back = session.providerReturn;
    if (back?.kind === 'link-error') showError(toShownError({ code: back.code, message: '' }));
    if (back?.kind === 'linked') setNotice('Linked. You can now sign in with it.');
  }, [session, showError]);

  if (providers.length === 0 && (linked?.identities.length ?? 0) === 0) return null;

  async function link(providerId: string) {
    errors.clear();
    try {
      location.assign(await session.backend.linkProvider(providerId));
    } catch (error) {
      errors.show(error);
    }
  }

  async function unlink(providerId: string) {
    errors.clear();
    setNotice(null);
    try {
      await session.backend.unlinkProvider(providerId);
      load();
    } catch (error) {
      errors.show(error);
    }
  }

  const linkedIds = new Set(linked?.identities.map((identity) => identity.provider));
  const rows = [
    ...(linked?.identities ?? []).map((identity) => ({ id: identity.provider, name: identity.providerName, detail: identity.email, linked: true })),
    ...providers.filter((provider) => !linkedIds.has(provider.id)).map((provider) => ({ id: provider.id, name: provider.name, detail: null, linked: false })),
  ];
  return (
    <section className="card" aria-labelledby="providers-title">
      <h3 id="providers-title">Sign-in with other accounts</h3>
      {notice && (
        <p className="card-lead" role="status">
          {notice}
        </p>
      )}
      <ErrorNotice slot={errors} />
      <ul className="sessions">
        {rows.map((row) => (
          <li key={row.id} className="session-row">
            <div>
              <strong>{row.name}</strong>
              {row.linked && <span className="status-pill status-good">Linked</span>}
              {row.detail && <small>{row.detail}</small>}
            </div>
            <button type="button" className="button button-small" onClick={() => void (row.linked ? unlink(row.id) : link(row.id))}>
              {row.linked ? 'Unlink' : 'Link'}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
