import { request } from 'node:http';
import { type Socket, io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServerFrame } from '@kaif/protocol';
import type { TestServer } from '../support/test-server.js';
import { type Person, signUpPerson } from '../wire/support/people.js';
import { rawAuthenticated } from '../wire/support/raw-tcp.js';
import { startWireServer, tcpPort } from '../wire/support/wire-server.js';
import { WsWatcher } from '../wire/support/ws-watcher.js';
import { withTimeout } from './drivers/transport-driver.js';

type Frame<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

describe('a stock socket.io-client 4 at /socket.io', () => {
  let server: TestServer;
  let ana: Person;
  let bo: Person;
  let chatId: string;
  beforeAll(async () => {
    server = await startWireServer();
    [ana, bo] = await Promise.all([signUpPerson(server), signUpPerson(server)]);
    chatId = await ana.directChatWith(bo);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('connects, syncs, sends with an ack callback, and receives message.new from a WebSocket and a TCP sender', async () => {
    // Default transports: long-polling first, then the upgrade to a WebSocket, both through Fastify's server.
    const socket = io(server.url, { auth: { token: bo.accessToken }, reconnection: false, forceNew: true });
    const received: Frame<'message.new'>[] = [];
    socket.on('message.new', (frame: Frame<'message.new'>) => received.push(frame));
    const ready = await withTimeout(new Promise<Frame<'ready'>>((resolve) => socket.once('ready', resolve)), 5_000, 'ready');
    expect(ready).toEqual({ type: 'ready', userId: bo.id });
    const synced = new Promise<Frame<'synced'>>((resolve) => socket.once('synced', resolve));
    socket.emit('sync', { since: null });
    expect((await withTimeout(synced, 5_000, 'synced')).cursor).toEqual(expect.any(String));

    const ack = await new Promise<ServerFrame>((resolve) => {
      socket.emit('message.send', { chatId, clientMsgId: 'sio-1', text: 'from Socket.IO' }, resolve);
    });
    expect(ack).toMatchObject({ type: 'ack', message: { chatId, senderId: bo.id, text: 'from Socket.IO', clientMsgId: 'sio-1' } });

    const ws = await WsWatcher.connect(server.url, ana.accessToken);
    ws.send({ type: 'message.send', id: 'w1', chatId, clientMsgId: 'ws-1', text: 'from a WebSocket' });
    const tcp = await rawAuthenticated(tcpPort(server), ana.accessToken);
    tcp.write({ packet_type: 'SendMessage', message: { chat_id: chatId, content: 'from TCP' }, client_msg_id: 'tcp-1' });
    expect(await tcp.next()).toMatchObject({ packet_type: 'Ack', success: true });

    await waitUntil(() => received.length >= 3);
    expect(received.map((frame) => frame.data.text)).toEqual(['from Socket.IO', 'from a WebSocket', 'from TCP']);
    for (const frame of received) expect(frame).toMatchObject({ type: 'message.new', chatId, cursor: expect.any(String) });
    ws.close();
    tcp.close();
    socket.disconnect();
  });

  it('refuses a bad token at the handshake with the error code, and a browser from a foreign origin', async () => {
    const refused = io(server.url, { auth: { token: 'nope' }, reconnection: false, forceNew: true });
    const error = await withTimeout(new Promise<Error & { data?: unknown }>((resolve) => refused.once('connect_error', resolve)), 5_000, 'connect_error');
    expect(error.message).toBe('TOKEN_INVALID');
    expect(error.data).toMatchObject({ code: 'TOKEN_INVALID' });
    refused.disconnect();

    const foreign = io(server.url, {
      auth: { token: ana.accessToken },
      reconnection: false,
      forceNew: true,
      transports: ['websocket'],
      extraHeaders: { origin: 'https://evil.example' },
    });
    await withTimeout(new Promise((resolve) => foreign.once('connect_error', resolve)), 5_000, 'connect_error');
    expect(foreign.connected).toBe(false);
    foreign.disconnect();
  });

  it('answers an invalid payload, an unknown event and a flood with error frames, and keeps the connection', async () => {
    const socket = await connected(server, ana.accessToken);
    const errors: Frame<'error'>[] = [];
    socket.on('error', (frame: Frame<'error'>) => errors.push(frame));
    const invalid = await socket.timeout(5_000).emitWithAck('message.send', { chatId, text: 'no clientMsgId' });
    expect(invalid).toMatchObject({ type: 'error', error: { code: 'VALIDATION_FAILED', field: 'clientMsgId' } });
    socket.emit('teleport', {});
    await waitUntil(() => errors.length === 1);
    expect(errors[0]).toMatchObject({ error: { code: 'VALIDATION_FAILED', field: 'type' } });
    // 30 frames a second per connection, burst 60: the same bucket as /ws.
    for (let ping = 0; ping < 70; ping++) socket.emit('ping', {});
    await waitUntil(() => errors.some((frame) => frame.error.code === 'FLOOD_WAIT'));
    expect(socket.connected).toBe(true);
    socket.disconnect();
  });

  it('answers 404 at once to an upgrade that is neither /ws nor /socket.io, and leaves /ws sockets alone', async () => {
    expect(await upgradeStatus(server, '/not-a-socket')).toBe(404);
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`);
    await new Promise((resolve) => ws.once('open', resolve));
    // Past engine.io's upgrade timeout (1 s), which must not touch a socket the gateway owns.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    const ready = new Promise((resolve) => ws.on('message', (data) => JSON.parse(data.toString()).type === 'ready' && resolve(true)));
    ws.send(JSON.stringify({ type: 'auth', token: ana.accessToken }));
    expect(await withTimeout(ready, 5_000, 'ready')).toBe(true);
    ws.close();
  });
});

async function connected(server: TestServer, token: string): Promise<Socket> {
  const socket = io(server.url, { auth: { token }, reconnection: false, forceNew: true, transports: ['websocket'] });
  await withTimeout(new Promise((resolve) => socket.once('ready', resolve)), 5_000, 'ready');
  return socket;
}

/** The status line a bare upgrade request to `path` gets. */
function upgradeStatus(server: TestServer, path: string): Promise<number> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const upgrade = request(`${server.url}${path}`, {
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      upgrade.once('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      upgrade.once('upgrade', () => resolve(101));
      upgrade.once('error', reject);
      upgrade.end();
    }),
    2_000,
    'an answer to the upgrade',
  );
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
