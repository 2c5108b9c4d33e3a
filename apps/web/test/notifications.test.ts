import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../../../test/support/accounts.js';
import { startLocalPushService } from '../../../test/support/local-push-service.js';
import { call, newAdmin } from '../../../test/identity/identity-http.js';
import { signUp, uniqueName } from './support/app-actions.js';
import { type WebStack, startWebStack } from './support/web-stack.js';

/**
 * Chromium cannot subscribe to a real push service with no internet (its own
 * is remote), so the page's PushManager is stubbed to subscribe at the local
 * push service the server pushes to (web-push-testing, loopback). The test
 * takes the payload that service decrypted and delivers it to the service
 * worker through the DevTools protocol, as the browser's push service would.
 */
const STUB_PUSH_MANAGER = () => {
  const toBase64Url = (key: BufferSource) =>
    btoa(String.fromCharCode(...new Uint8Array(key instanceof ArrayBuffer ? key : key.buffer)))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
  let current: PushSubscription | null = null;
  // Counts permission prompts: the app must ask only from the user's click.
  const ask = Notification.requestPermission.bind(Notification);
  const counter = window as unknown as { kaifPermissionAsks: number };
  counter.kaifPermissionAsks = 0;
  Notification.requestPermission = () => {
    counter.kaifPermissionAsks++;
    return ask();
  };
  PushManager.prototype.subscribe = async (options?: PushSubscriptionOptionsInit) => {
    const json = await (window as unknown as { kaifTestSubscribe(key: string): Promise<PushSubscriptionJSON> }).kaifTestSubscribe(
      toBase64Url(options!.applicationServerKey as BufferSource),
    );
    current = { endpoint: json.endpoint, toJSON: () => json, unsubscribe: async () => true } as unknown as PushSubscription;
    return current;
  };
  PushManager.prototype.getSubscription = async () => current;
};

describe('notifications in the web client (Chromium)', () => {
  let stack: WebStack;
  let pushService: Awaited<ReturnType<typeof startLocalPushService>>;
  let context: BrowserContext;

  beforeAll(async () => {
    stack = await startWebStack({ env: { KAIF_PUSH_ALLOW_PRIVATE_HOSTS: 'true' } });
    pushService = await startLocalPushService();
  });
  afterAll(async () => {
    await stack?.stop();
    await pushService?.close();
  });

  it('asks for permission only when asked, shows a pushed message as a notification, and opens the chat on click', async () => {
    context = await stack.newContext();
    await context.grantPermissions(['notifications'], { origin: stack.url });
    const received: Record<string, unknown>[][] = [];
    await context.exposeFunction('kaifTestSubscribe', async (key: string) => {
      const subscription = await pushService.subscribe(key);
      received.push([]);
      const index = received.length - 1;
      const poll = setInterval(() => {
        received[index] = subscription.messages();
      }, 20);
      poll.unref();
      return { endpoint: subscription.endpoint, keys: subscription.keys };
    });
    await context.addInitScript(STUB_PUSH_MANAGER);

    const page = await context.newPage();
    const username = uniqueName('bob');
    await signUp(page, username, 'Bob Notified');
    const asks = () => page.evaluate(() => (window as unknown as { kaifPermissionAsks: number }).kaifPermissionAsks);
    await page.goto('/settings');
    await page.getByRole('button', { name: 'Enable notifications' }).waitFor();
    expect(await asks()).toBe(0);
    expect(context.serviceWorkers()).toEqual([]);
    await page.getByRole('button', { name: 'Enable notifications' }).click();
    await page.getByText('Notifications are on for this device').waitFor();
    expect(await asks()).toBe(1);
    expect(await page.getByLabel('Show message text in notifications').isChecked()).toBe(false);

    // The tab is closed: Bob has no live connection, so the next message is pushed.
    const bob = username;
    await page.close();
    const alice = await registerUser(stack.server, { displayName: 'Alice Sender' });
    const found = await call<{ users: { id: string; username: string }[] }>(stack.server, 'GET', `/api/v1/users?query=${bob}`, { token: alice.accessToken });
    const bobId = found.body.users.find((user) => user.username === bob)!.id;
    const chat = await call<{ id: string }>(stack.server, 'POST', '/api/v1/chats', { token: alice.accessToken, body: { type: 'direct', memberIds: [bobId] } });
    const sent = await call<{ seq: number }>(stack.server, 'POST', `/api/v1/chats/${chat.body.id}/messages`, {
      token: alice.accessToken,
      body: { clientMsgId: 'n1', text: 'meet at the pier' },
    });
    const deadline = Date.now() + 5000;
    while ((received[0] ?? []).length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const [payload] = received[0]!;
    expect(payload).toMatchObject({ chatId: chat.body.id, title: 'Alice Sender', tag: `chat:${chat.body.id}` });

    // A same-origin page that is not the app (no live connection), to speak DevTools through.
    const probe = await context.newPage();
    await probe.goto('/sw.js');
    const devtools = await context.newCDPSession(probe);
    const registrations = new Promise<{ registrationId: string; scopeURL: string }[]>((resolve) => {
      devtools.on('ServiceWorker.workerRegistrationUpdated', (event) => {
        if (event.registrations.length > 0) resolve(event.registrations);
      });
    });
    await devtools.send('ServiceWorker.enable');
    const registration = (await registrations).find((entry) => entry.scopeURL === `${stack.url}/`)!;
    await devtools.send('ServiceWorker.deliverPushMessage', { origin: stack.url, registrationId: registration.registrationId, data: JSON.stringify(payload) });

    const shown = async () =>
      probe.evaluate(async () =>
        (await (await navigator.serviceWorker.getRegistration('/'))!.getNotifications()).map((notification) => ({
          title: notification.title,
          body: notification.body,
          tag: notification.tag,
        })),
      );
    const until = Date.now() + 5000;
    while ((await shown()).length === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await shown()).toEqual([{ title: 'Alice Sender', body: 'Alice Sender: new message', tag: `chat:${chat.body.id}` }]);

    // The click, as the browser would dispatch it to the worker.
    const [worker] = context.serviceWorkers();
    await worker!.evaluate(async () => {
      const scope = globalThis as unknown as { registration: ServiceWorkerRegistration; dispatchEvent(event: Event): boolean };
      const [notification] = await scope.registration.getNotifications();
      const NotificationEventClass = (globalThis as unknown as { NotificationEvent: new (type: string, init: { notification: Notification }) => Event })
        .NotificationEvent;
      scope.dispatchEvent(new NotificationEventClass('notificationclick', { notification: notification! }));
    });
    await probe.waitForURL(`**/chats/${chat.body.id}`);
    await probe.getByRole('log', { name: 'Messages' }).getByText('meet at the pier').waitFor();

    const admin = await newAdmin(stack.server);
    const opened = async () =>
      (await call<{ deliveries: { state: string }[] }>(stack.server, 'GET', `/api/v1/admin/push/messages/${chat.body.id}/${sent.body.seq}`, { token: admin })).body
        .deliveries[0]?.state;
    const openedBy = Date.now() + 5000;
    while ((await opened()) !== 'opened' && Date.now() < openedBy) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await opened()).toBe('opened');

    // Bob mutes the chat from its header.
    await probe.getByRole('button', { name: 'Mute notifications' }).click();
    await probe.getByRole('button', { name: 'Unmute notifications', pressed: true }).waitFor();
    await probe.reload();
    await probe.getByRole('button', { name: 'Unmute notifications', pressed: true }).waitFor();
    expect(stack.consoleErrors).toEqual([]);
  });
});
