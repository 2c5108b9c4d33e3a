import { navigate } from '../../app/router.js';
import { useSession } from '../../app/session-context.js';
import { useStore } from '../../state/store.js';
import { Avatar } from '../common/Avatar.js';
import { Icon } from '../common/Icon.js';
import { LinkedProvidersSection } from './LinkedProvidersSection.js';
import { NotificationsSection } from './NotificationsSection.js';
import { SessionsSection } from './SessionsSection.js';
import { TwoFactorSection } from './TwoFactorSection.js';

export function Settings() {
  const session = useSession();
  const state = useStore(session.state, (value) => value);
  if (state.status !== 'signed-in') return null;
  const { me } = state;
  return (
    <section className="page" aria-label="Settings">
      <header className="pane-header">
        <button type="button" className="icon-button back-button" onClick={() => navigate({ name: 'chats' })} aria-label="Back to chats">
          <Icon name="back" />
        </button>
        <div className="pane-title">
          <h2>Settings</h2>
        </div>
      </header>
      <div className="page-body">
        <section className="card profile-card">
          <Avatar id={me.id} name={me.displayName || me.username} size={64} />
          <div>
            <h3>{me.displayName || me.username}</h3>
            <p>@{me.username}</p>
            {me.email && <p className="muted">{me.email}</p>}
          </div>
        </section>
        <TwoFactorSection enabled={me.twoFactorEnabled} />
        <LinkedProvidersSection />
        <NotificationsSection />
        <SessionsSection />
        <section className="card">
          <button type="button" className="button button-danger" onClick={() => void session.signOut().then(() => navigate({ name: 'chats' }, { replace: true }))}>
            <Icon name="logout" size={18} /> Sign out
          </button>
        </section>
      </div>
    </section>
  );
}
