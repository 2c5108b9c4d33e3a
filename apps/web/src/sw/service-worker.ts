import type { PushNotificationPayload } from '@kaif/client';

/**
 * The web client's service worker, served at `/sw.js` so its scope is the
 * whole site. It shows one notification per chat for each Web Push (the
 * server decides who gets one, see the push module's README) and opens the
 * chat when the notification is clicked. It holds no token: "opened" is
 * reported with the receipt the push carried.
 *
 * The project compiles against the DOM library, which lacks the service
 * worker scope's types; the few used here are declared below.
 */

interface ExtendableEventLike extends Event {
  waitUntil(work: Promise<unknown>): void;
}
interface PushEventLike extends ExtendableEventLike {
  readonly data: { json(): unknown } | null;
}
interface NotificationEventLike extends ExtendableEventLike {
  readonly notification: Notification;
}
interface WindowClientLike {
  readonly url: string;
  focus(): Promise<WindowClientLike>;
  navigate(url: string): Promise<WindowClientLike | null>;
}
interface ServiceWorkerScope {
  readonly registration: ServiceWorkerRegistration;
  readonly clients: {
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<readonly WindowClientLike[]>;
    openWindow(url: string): Promise<WindowClientLike | null>;
    claim(): Promise<void>;
  };
  readonly location: Location;
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEventLike) => void): void;
  addEventListener(type: 'push', listener: (event: PushEventLike) => void): void;
  addEventListener(type: 'notificationclick', listener: (event: NotificationEventLike) => void): void;
}

const scope = globalThis as unknown as ServiceWorkerScope;

/** What the notification keeps for its click. */
interface NotificationData {
  readonly url: string;
  readonly receipt: string;
}

/**
 * Keeps the worker alive until `work` settles. An event dispatched by a
 * script rather than the browser (developer tools, tests) may not extend
 * the worker's life and throws; its work still runs.
 */
function keepAlive(event: ExtendableEventLike, work: Promise<unknown>): void {
  try {
    event.waitUntil(work);
  } catch {
    void work;
  }
}

scope.addEventListener('install', (event) => keepAlive(event, scope.skipWaiting()));
scope.addEventListener('activate', (event) => keepAlive(event, scope.clients.claim()));

scope.addEventListener('push', (event) => {
  const payload = event.data?.json() as PushNotificationPayload | undefined;
  if (payload?.v !== 1) return;
  const data: NotificationData = { url: payload.url, receipt: payload.receipt };
  // `renotify`: the same tag replaces the chat's notification and alerts again.
  const options: NotificationOptions & { renotify: boolean } = { body: payload.body, tag: payload.tag, renotify: true, data };
  keepAlive(event, scope.registration.showNotification(payload.title, options));
});

scope.addEventListener('notificationclick', (event) => {
  const data = event.notification.data as NotificationData | undefined;
  event.notification.close();
  if (!data) return;
  keepAlive(event, Promise.all([openChat(data.url), reportOpened(data.receipt)]));
});

/** Focuses an open window of the app on the chat, or opens one. */
async function openChat(path: string): Promise<void> {
  const url = new URL(path, scope.location.origin).href;
  const windows = await scope.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((client) => new URL(client.url).origin === scope.location.origin);
  if (open) {
    // Focusing needs the click's user activation; the chat opens either way.
    await open.focus().catch(() => undefined);
    if (await open.navigate(url).catch(() => null)) return;
  }
  await scope.clients.openWindow(url);
}

async function reportOpened(receipt: string): Promise<void> {
  await fetch('/api/v1/push/opened', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ receipt }) }).catch(
    () => undefined,
  );
}
