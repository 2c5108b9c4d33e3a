import { useMessenger } from '../../app/session-context.js';
import { useStore } from '../../state/store.js';

/** Shown while the realtime connection is down; messages sent meanwhile wait in the SDK queue. */
export function ConnectionBanner() {
  const connection = useStore(useMessenger().state, (state) => state.connection);
  if (connection === 'online') return null;
  return (
    <div className="connection-banner" role="status" data-testid="connection-banner">
      <span className="spinner spinner-small" aria-hidden="true" />
      {connection === 'offline' ? 'Waiting for network… Messages will be sent when you are back online.' : 'Connecting…'}
    </div>
  );
}
