import { KaifClient, type KaifClientOptions, nodeWebSocket } from '@kaif/client/node';
import type { ServerFrame } from '@kaif/protocol';
import WebSocket from 'ws';
import { uniquePassword, uniqueUsername } from '../support/accounts.js';

/** A signed-up SDK client against `baseUrl`, not yet connected. */
export async function signUp(baseUrl: string, options: Partial<KaifClientOptions> = {}) {
  const client = new KaifClient({ baseUrl, webSocket: nodeWebSocket(), reconnectBaseMs: 50, reconnectMaxMs: 500, ...options });
  const username = uniqueUsername('rt');
  const { user } = await client.auth.register({ username, email: `${username}@example.test`, password: uniquePassword() });
  return { client, user };
}

/** Connects and resolves once synced (`online`). */
export async function goOnline(client: KaifClient): Promise<void> {
  if (client.realtime.state === 'online') return;
  const online = new Promise<void>((resolve) => {
    const off = client.on('online', () => {
      off();
      resolve();
    });
  });
  client.realtime.connect();
  await online;
}

export async function waitFor(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const wsUrl = (baseUrl: string) => `${baseUrl.replace(/^http/, 'ws')}/ws`;

/** A raw socket that records every server frame, for checks below the SDK. */
export async function rawSocket(baseUrl: string, options: WebSocket.ClientOptions = {}) {
  const socket = new WebSocket(wsUrl(baseUrl), { perMessageDeflate: false, ...options });
  const frames: ServerFrame[] = [];
  let closed: { code: number; reason: string } | undefined;
  socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as ServerFrame));
  socket.on('close', (code, reason) => {
    closed = { code, reason: reason.toString() };
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    frames,
    closed: () => closed,
    send: (frame: unknown) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    async next<T extends ServerFrame['type']>(type: T, timeoutMs = 10_000): Promise<Extract<ServerFrame, { type: T }>> {
      await waitFor(() => frames.some((frame) => frame.type === type), timeoutMs, `a ${type} frame`);
      const index = frames.findIndex((frame) => frame.type === type);
      return frames.splice(index, 1)[0] as Extract<ServerFrame, { type: T }>;
    },
    async closedWith(timeoutMs = 10_000): Promise<number> {
      await waitFor(() => closed !== undefined, timeoutMs, 'the socket to close');
      return closed!.code;
    },
  };
}

/** A raw socket that has authenticated (ready) and synced from `since`. */
export async function syncedSocket(baseUrl: string, token: string, since: string | null = null) {
  const raw = await rawSocket(baseUrl);
  raw.send({ type: 'auth', token });
  await raw.next('ready');
  raw.send({ type: 'sync', since });
  const { cursor } = await raw.next('synced');
  return { ...raw, cursor };
}
