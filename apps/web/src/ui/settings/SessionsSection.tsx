import { useCallback, useEffect, useState } from 'react';
import { useSession } from '../../app/session-context.js';
import type { Session } from '../../state/types.js';
import { ErrorNotice } from '../common/ErrorNotice.js';
import { Spinner } from '../common/Spinner.js';
import { listStamp } from '../common/time-format.js';
import { useShownError } from '../common/use-shown-error.js';
import { deviceName } from './device-name.js';

/** Devices signed in to this account; any but this one can be signed out. */
export function SessionsSection() {
  const session = useSession();
  const errors = useShownError();
  const [sessions, setSessions] = useState<readonly Session[] | null>(null);

  const load = useCallback(() => {
    session.backend.sessions().then(setSessions, errors.show);
  }, [session, errors.show]);
  useEffect(load, [load]);

  async function revoke(id: string) {
    try {
      await session.backend.revokeSession(id);
      load();
    } catch (error) {
      errors.show(error);
    }
  }

  const ordered = [...(sessions ?? [])].sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt));
  return (
    <section className="card" aria-labelledby="sessions-title">
      <h3 id="sessions-title">Devices</h3>
      <ErrorNotice slot={errors} />
      {sessions === null ? (
        <Spinner label="Loading devices" />
      ) : (
        <ul className="sessions">
          {ordered.map((item) => (
            <li key={item.id} className="session-row" data-current={item.current || undefined}>
              <div>
                <strong title={item.clientName}>{deviceName(item.clientName)}</strong>
                {item.current && <span className="status-pill status-good">This device</span>}
                <small>
                  {item.ip} · signed in {listStamp(item.createdAt)} · active {listStamp(item.lastSeenAt)}
                </small>
              </div>
              {!item.current && (
                <button type="button" className="button button-small" onClick={() => void revoke(item.id)}>
                  Sign out
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
