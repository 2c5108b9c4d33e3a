import { TYPING_EXPIRES_MS } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { goOnline, signUp, syncedSocket } from './realtime-fixtures.js';

describe('typing and presence', () => {
  let server: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;
  let chatId: string;

  beforeAll(async () => {
    server = await startTestServer();
    alice = await signUp(server.url);
    bob = await signUp(server.url);
    chatId = (await alice.client.chats.create({ type: 'direct', memberIds: [bob.user.id] })).id;
  });
  afterAll(async () => {
    alice.client.realtime.disconnect();
    bob.client.realtime.disconnect();
    await server?.stop();
  });

  it('shows the other member that someone is typing, throttled and with an expiry', async () => {
    const bobSocket = await syncedSocket(server.url, (await bob.client.tokens.tokens())!.accessToken);
    await goOnline(alice.client);
    alice.client.realtime.typing(chatId);
    alice.client.realtime.typing(chatId);
    const typing = await bobSocket.next('typing');
    expect(typing).toMatchObject({ chatId, userId: alice.user.id, expiresInMs: TYPING_EXPIRES_MS });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bobSocket.frames.filter((frame) => frame.type === 'typing')).toHaveLength(0);
    bobSocket.socket.close();
  });

  it('tells a contact when a user comes online and goes offline, and answers presence reads', async () => {
    alice.client.realtime.disconnect();
    const bobSocket = await syncedSocket(server.url, (await bob.client.tokens.tokens())!.accessToken);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await bob.client.users.presence(alice.user.id)).toMatchObject({ status: 'offline' });
    await goOnline(alice.client);
    // The offline announcement of the disconnect above may still be on its way: skip it.
    let online = await bobSocket.next('presence');
    if (online.status === 'offline') online = await bobSocket.next('presence');
    expect(online).toMatchObject({ userId: alice.user.id, status: 'online', lastSeen: null });
    expect(await bob.client.users.presence(alice.user.id)).toEqual({ userId: alice.user.id, status: 'online', lastSeen: null });
    alice.client.realtime.disconnect();
    const offline = await bobSocket.next('presence');
    expect(offline).toMatchObject({ userId: alice.user.id, status: 'offline' });
    expect(Date.parse(offline.lastSeen!)).toBeGreaterThan(Date.now() - 10_000);
    bobSocket.socket.close();
  });

  it('announces presence in direct chats only, not to the other member of a group of two', async () => {
    const carol = await signUp(server.url);
    await carol.client.chats.create({ type: 'group', title: 'two of us', memberIds: [alice.user.id] });
    const bobSocket = await syncedSocket(server.url, (await bob.client.tokens.tokens())!.accessToken);
    const carolSocket = await syncedSocket(server.url, (await carol.client.tokens.tokens())!.accessToken);
    await goOnline(alice.client);
    expect(await bobSocket.next('presence')).toMatchObject({ userId: alice.user.id, status: 'online' });
    // Both chats are announced in one pass: had the group been announced, its frame would be here by now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(carolSocket.frames.filter((frame) => frame.type === 'presence')).toEqual([]);
    alice.client.realtime.disconnect();
    for (const socket of [bobSocket, carolSocket]) socket.socket.close();
  });
});
