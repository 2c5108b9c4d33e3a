import { useState } from 'react';
import { type Route, navigate } from '../app/router.js';
import { useSession } from '../app/session-context.js';
import { useStore } from '../state/store.js';
import { ChatList } from './chats/ChatList.js';
import { NewChatDialog } from './chats/NewChatDialog.js';
import { Avatar } from './common/Avatar.js';
import { ConnectionBanner } from './common/ConnectionBanner.js';
import { Icon } from './common/Icon.js';
import { Conversation } from './conversation/Conversation.js';
import { CollectionPage } from './market/CollectionPage.js';
import { ListingPage } from './market/ListingPage.js';
import { MarketHome } from './market/MarketHome.js';
import { OrderPage, OrdersPage } from './market/OrderPage.js';
import { ModerationPage, StorePage } from './market/StorePage.js';
import { Settings } from './settings/Settings.js';
import { SystemHealth } from './system/SystemHealth.js';
import { WalletScreen } from './wallet/WalletScreen.js';

const MARKET_ROUTES: ReadonlySet<Route['name']> = new Set(['market', 'listing', 'orders', 'order', 'store', 'moderation', 'collection']);

/**
 * Two panes on a desktop (chats beside the open chat or page); at phone
 * width one pane at a time, chosen by the route, with a back button.
 */
export function Shell({ route }: { readonly route: Route }) {
  const session = useSession();
  const sessionState = useStore(session.state, (state) => state);
  const [creating, setCreating] = useState(false);
  if (sessionState.status !== 'signed-in') return null;
  const { me } = sessionState;
  const isAdmin = me.role === 'admin';

  return (
    <div className="shell" data-pane={route.name === 'chats' ? 'list' : 'detail'}>
      <ConnectionBanner />
      <aside className="sidebar" aria-label="Chats">
        <header className="sidebar-header">
          <button type="button" className="me-button" onClick={() => navigate({ name: 'settings' })} aria-label="Settings">
            <Avatar id={me.id} name={me.displayName || me.username} size={36} />
          </button>
          <h1 className="sidebar-title">Kaif Lake</h1>
          {isAdmin && (
            <button type="button" className="icon-button" onClick={() => navigate({ name: 'system' })} aria-label="System health" aria-current={route.name === 'system' ? 'page' : undefined}>
              <Icon name="pulse" />
            </button>
          )}
          <button type="button" className="icon-button" onClick={() => navigate({ name: 'wallet' })} aria-label="Wallet" aria-current={route.name === 'wallet' ? 'page' : undefined}>
            <Icon name="wallet" />
          </button>
          <button type="button" className="icon-button" onClick={() => navigate({ name: 'market' })} aria-label="Marketplace" aria-current={MARKET_ROUTES.has(route.name) ? 'page' : undefined}>
            <Icon name="shop" />
          </button>
          <button type="button" className="icon-button" onClick={() => navigate({ name: 'settings' })} aria-label="Open settings" aria-current={route.name === 'settings' ? 'page' : undefined}>
            <Icon name="settings" />
          </button>
          <button type="button" className="icon-button icon-button-accent" onClick={() => setCreating(true)} aria-label="New group or channel">
            <Icon name="plus" />
          </button>
        </header>
        <ChatList activeChatId={route.name === 'chat' ? route.chatId : null} />
      </aside>
      <main className="detail">
        {route.name === 'chat' && <Conversation key={route.chatId} chatId={route.chatId} />}
        {route.name === 'settings' && <Settings />}
        {route.name === 'wallet' && <WalletScreen />}
        {route.name === 'system' && (isAdmin ? <SystemHealth /> : <p className="empty-detail">Only administrators can see system health.</p>)}
        {route.name === 'market' && <MarketHome route={route} />}
        {route.name === 'listing' && <ListingPage key={route.listingId} route={route} listingId={route.listingId} />}
        {route.name === 'orders' && <OrdersPage route={route} />}
        {route.name === 'order' && <OrderPage key={route.orderId} route={route} orderId={route.orderId} />}
        {route.name === 'store' && <StorePage route={route} />}
        {route.name === 'moderation' && <ModerationPage route={route} />}
        {route.name === 'collection' && <CollectionPage key={`${route.chain}/${route.contract}`} route={route} chain={route.chain} contract={route.contract} />}
        {route.name === 'chats' && (
          <div className="empty-detail">
            <p>Select a chat or search for someone to start messaging.</p>
          </div>
        )}
      </main>
      {creating && <NewChatDialog onClose={() => setCreating(false)} />}
    </div>
  );
}
