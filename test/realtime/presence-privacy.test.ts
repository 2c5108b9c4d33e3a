import type { KaifClient } from '@kaif/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_SETS } from '../identity/identity-http.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { goOnline, signUp, syncedSocket, waitFor } from './realtime-fixtures.js';

type Account = Awaited<ReturnType<typeof signUp>>;

describe.each(ENGINE_SETS)('who may see a user’s presence (%s engines)', (engines) => {
  let server: TestServer;
  let alice: Account;
  let bob: Account;
  let dora: Account;
  let sam: Account;
  let stranger: Account;

  const tokenOf = async (client: KaifClient) => (await client.tokens.tokens())!.accessToken;
  const privacy = async (account: Account, body?: { presence: string }) => {
    const response = await fetch(`${server.url}/api/v1/me/privacy`, {
      method: body ? 'PATCH' : 'GET',
      headers: { authorization: `Bearer ${await tokenOf(account.client)}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const statusOfAliceFor = async (viewer: Account) => (await viewer.client.users.presence(alice.user.id)).status;

  beforeAll(async () => {
    server = await startTestServer({ engines });
    [alice, bob, dora, sam, stranger] = (await Promise.all([1, 2, 3, 4, 5].map(() => signUp(server.url)))) as [
      Account,
      Account,
      Account,
      Account,
      Account,
    ];
    await alice.client.chats.create({ type: 'direct', memberIds: [bob.user.id] });
    await alice.client.chats.create({ type: 'group', title: 'Book club', memberIds: [dora.user.id] });
    const channel = await alice.client.chats.create({ type: 'channel', title: 'Alice’s news' });
    await sam.client.chats.join(channel.id);
    await goOnline(alice.client);
  });
  afterAll(async () => {
    alice.client.realtime.disconnect();
    await server?.stop();
  });

  it('shows it to contacts only by default: a direct chat or a group, not a shared channel', async () => {
    expect(await privacy(alice)).toEqual({ status: 200, body: { presence: 'contacts' } });
    expect(await statusOfAliceFor(bob)).toBe('online');
    expect(await statusOfAliceFor(dora)).toBe('online');
    expect(await statusOfAliceFor(sam)).toBe('unknown');
    expect(await stranger.client.users.presence(alice.user.id)).toEqual({ userId: alice.user.id, status: 'unknown', lastSeen: null });
  });

  it('shows it to every signed-in user with "everybody", and to nobody but the user with "nobody"', async () => {
    expect(await privacy(alice, { presence: 'everybody' })).toEqual({ status: 200, body: { presence: 'everybody' } });
    expect(await statusOfAliceFor(stranger)).toBe('online');
    expect(await privacy(alice, { presence: 'nobody' })).toEqual({ status: 200, body: { presence: 'nobody' } });
    expect(await statusOfAliceFor(bob)).toBe('unknown');
    expect(await statusOfAliceFor(alice)).toBe('online');
    expect((await privacy(alice, { presence: 'friends' })).status).toBe(400);
  });

  it('announces no live presence while hidden from everybody', async () => {
    await privacy(alice, { presence: 'nobody' });
    alice.client.realtime.disconnect();
    const bobSocket = await syncedSocket(server.url, await tokenOf(bob.client));
    await goOnline(alice.client);
    alice.client.realtime.disconnect();
    // The user always sees their own presence: offline means the server handled the disconnect.
    while ((await statusOfAliceFor(alice)) !== 'offline') await new Promise((resolve) => setTimeout(resolve, 20));

    await privacy(alice, { presence: 'contacts' });
    await goOnline(alice.client);
    await waitFor(() => bobSocket.frames.some((frame) => frame.type === 'presence'), 10_000, 'a presence frame');
    expect(bobSocket.frames.filter((frame) => frame.type === 'presence')).toEqual([
      expect.objectContaining({ userId: alice.user.id, status: 'online' }),
    ]);
    bobSocket.socket.close();
  });
});
