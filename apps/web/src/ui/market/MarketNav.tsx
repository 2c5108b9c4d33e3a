import { type Route, navigate } from '../../app/router.js';
import { useSession } from '../../app/session-context.js';
import { useStore } from '../../state/store.js';
import { Icon } from '../common/Icon.js';

/** The marketplace's header: back to chats, its title, and its sections. */
export function MarketNav({ route, title }: { readonly route: Route; readonly title: string }) {
  const session = useSession();
  const state = useStore(session.state, (value) => value);
  const isAdmin = state.status === 'signed-in' && state.me.role === 'admin';
  const tab = (name: 'market' | 'orders' | 'store' | 'moderation', label: string) => (
    <button type="button" className="market-tab" aria-current={route.name === name ? 'page' : undefined} onClick={() => navigate({ name })}>
      {label}
    </button>
  );
  return (
    <header className="pane-header market-header">
      <button type="button" className="icon-button back-button" onClick={() => navigate({ name: 'chats' })} aria-label="Back to chats">
        <Icon name="back" />
      </button>
      <div className="pane-title">
        <h2>{title}</h2>
      </div>
      <nav className="market-tabs" aria-label="Marketplace">
        {tab('market', 'Browse')}
        {tab('orders', 'My orders')}
        {tab('store', 'My store')}
        {isAdmin && tab('moderation', 'Moderation')}
      </nav>
    </header>
  );
}
