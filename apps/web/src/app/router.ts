import { useSyncExternalStore } from 'react';
import type { ChatId } from '../state/types.js';

export type Route =
  | { readonly name: 'chats' }
  | { readonly name: 'chat'; readonly chatId: ChatId }
  | { readonly name: 'settings' }
  | { readonly name: 'wallet' }
  | { readonly name: 'system' }
  | { readonly name: 'market' }
  | { readonly name: 'listing'; readonly listingId: string }
  | { readonly name: 'orders' }
  | { readonly name: 'order'; readonly orderId: string }
  | { readonly name: 'store' }
  | { readonly name: 'moderation' }
  | { readonly name: 'collection'; readonly chain: string; readonly contract: string };

/** Paths are real URLs (the server falls back to index.html), so reload and back work. */
export function parseRoute(pathname: string): Route {
  const chat = /^\/chats\/([^/]+)$/.exec(pathname);
  if (chat?.[1]) return { name: 'chat', chatId: decodeURIComponent(chat[1]) as ChatId };
  if (pathname === '/settings') return { name: 'settings' };
  if (pathname === '/system') return { name: 'system' };
  if (pathname === '/wallet') return { name: 'wallet' };
  const listing = /^\/market\/listings\/([^/]+)$/.exec(pathname);
  if (listing?.[1]) return { name: 'listing', listingId: decodeURIComponent(listing[1]) };
  const order = /^\/market\/orders\/([^/]+)$/.exec(pathname);
  if (order?.[1]) return { name: 'order', orderId: decodeURIComponent(order[1]) };
  const collection = /^\/market\/collections\/([^/]+)\/([^/]+)$/.exec(pathname);
  if (collection?.[1] && collection[2]) return { name: 'collection', chain: decodeURIComponent(collection[1]), contract: decodeURIComponent(collection[2]) };
  if (pathname === '/market') return { name: 'market' };
  if (pathname === '/market/orders') return { name: 'orders' };
  if (pathname === '/market/store') return { name: 'store' };
  if (pathname === '/market/moderation') return { name: 'moderation' };
  return { name: 'chats' };
}

export function pathOf(route: Route): string {
  switch (route.name) {
    case 'chat':
      return `/chats/${encodeURIComponent(route.chatId)}`;
    case 'settings':
      return '/settings';
    case 'system':
      return '/system';
    case 'wallet':
      return '/wallet';
    case 'market':
      return '/market';
    case 'listing':
      return `/market/listings/${encodeURIComponent(route.listingId)}`;
    case 'orders':
      return '/market/orders';
    case 'order':
      return `/market/orders/${encodeURIComponent(route.orderId)}`;
    case 'store':
      return '/market/store';
    case 'moderation':
      return '/market/moderation';
    case 'collection':
      return `/market/collections/${encodeURIComponent(route.chain)}/${encodeURIComponent(route.contract)}`;
    case 'chats':
      return '/';
  }
}

const listeners = new Set<() => void>();

export function navigate(route: Route, options: { readonly replace?: boolean } = {}): void {
  const path = pathOf(route);
  if (path === location.pathname) return;
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    removeEventListener('popstate', listener);
  };
}

let cached: { readonly path: string; readonly route: Route } | undefined;

export function useRoute(): Route {
  return useSyncExternalStore(subscribe, () => {
    if (cached?.path !== location.pathname) cached = { path: location.pathname, route: parseRoute(location.pathname) };
    return cached.route;
  });
}
