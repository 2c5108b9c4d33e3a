import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface PushApiModelShape {
  notifyUrl: string;
  readonly messages: Record<string, string[]>;
  subscribe(options: { userVisibleOnly: 'true'; applicationServerKey: string }): Promise<{
    endpoint: string;
    keys: { p256dh: string; auth: string };
    clientHash: string;
  }>;
  expireSubscription(clientHash: string): void;
}

interface WebPushTestingServerShape {
  readonly _app: { listen(port: number, host: string, ready: () => void): Server };
  setRequestHandlers(): void;
}

const { PushApiModel } = require('web-push-testing/src/PushApiModel.js') as { PushApiModel: new () => PushApiModelShape };
const WebPushTestingServer = require('web-push-testing/src/server.js') as new (model: PushApiModelShape, port: number) => WebPushTestingServerShape;

export interface LocalSubscription {
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
  /** Decrypted payloads this subscription received, parsed. */
  messages(): Record<string, unknown>[];
  /** From now on the push service answers 410 Gone to this subscription. */
  expire(): void;
}

/**
 * A local RFC 8030 push service on loopback: web-push-testing@1.2.2, run in
 * this process. For each notification it checks the VAPID token (RFC 8292,
 * ES256 against the applicationServerKey the subscription was made with)
 * and decrypts the RFC 8291 payload with the subscription's private key,
 * keeping the plaintext. Its own start-up binds every interface and exits
 * the process on error, so only its request handlers are used here, on
 * 127.0.0.1 and a free port.
 */
export async function startLocalPushService(): Promise<{
  readonly url: string;
  subscribe(applicationServerKey: string): Promise<LocalSubscription>;
  close(): Promise<void>;
}> {
  const model = new PushApiModel();
  const service = new WebPushTestingServer(model, 0);
  service.setRequestHandlers();
  const server = await new Promise<Server>((resolve) => {
    const listening: Server = service._app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  model.notifyUrl = `${url}/notify/`;
  return {
    url,
    async subscribe(applicationServerKey) {
      // The model wants the string 'true', as the W3C option arrives in a form post.
      const created = await model.subscribe({ userVisibleOnly: 'true', applicationServerKey });
      return {
        endpoint: created.endpoint,
        keys: created.keys,
        messages: () => (model.messages[created.clientHash] ?? []).map((text) => JSON.parse(text) as Record<string, unknown>),
        expire: () => model.expireSubscription(created.clientHash),
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
