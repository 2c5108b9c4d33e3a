import type { KaifClient } from '@kaif/client';
import type { ChatEventFrame } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { goOnline, signUp, syncedSocket, waitFor } from './realtime-fixtures.js';

type MessageNew = Extract<ChatEventFrame, { type: 'message.new' }>;

describe('real-time delivery through the SDK', () => {
  let server: TestServer;
  let alice: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;
  let chatId: string;
  const clients: KaifClient[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    alice = await signUp(server.url);
    bob = await signUp(server.url);
    clients.push(alice.client, bob.client);
    chatId = (await alice.client.chats.create({ type: 'direct', memberIds: [bob.user.id] })).id;
  });
  afterAll(async () => {
    for (const client of clients) client.realtime.disconnect();
    await server?.stop();
  });

  it('delivers a message from one user to the other live, after the sender’s ack', async () => {
    await goOnline(alice.client);
    await goOnline(bob.client);
    const received: MessageNew[] = [];
    const off = bob.client.on('message.new', (event) => received.push(event));
    const message = await alice.client.realtime.sendMessage({ chatId, text: 'hello bob' });
    expect(message).toMatchObject({ chatId, senderId: alice.user.id, text: 'hello bob' });
    await waitFor(() => received.length === 1, 5000, 'bob to receive the message');
    expect(received[0]).toMatchObject({ type: 'message.new', chatId, seq: message.seq, data: { id: message.id, text: 'hello bob' } });
    expect(typeof received[0]!.cursor).toBe('string');
    off();
  });

  it('follows a chat the user is added to while connected, without reconnecting', async () => {
    await goOnline(alice.client);
    await goOnline(bob.client);
    const received: MessageNew[] = [];
    const off = bob.client.on('message.new', (event) => received.push(event));
    const group = await alice.client.chats.create({ type: 'group', title: 'Added live', memberIds: [bob.user.id] });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const message = await alice.client.messages.send(group.id, { text: 'welcome to the group' });
    await waitFor(() => received.some((event) => event.chatId === group.id), 5000, 'the new group’s message');
    expect(received.find((event) => event.chatId === group.id)).toMatchObject({ seq: message.seq, data: { id: message.id } });
    off();
  });

  it('after a disconnect, catches up on exactly the messages missed, in order', async () => {
    await goOnline(bob.client);
    bob.client.realtime.disconnect();
    const sent = [];
    for (let index = 0; index < 7; index++) sent.push(await alice.client.messages.send(chatId, { text: `missed ${index}` }));
    const received: MessageNew[] = [];
    const off = bob.client.on('message.new', (event) => received.push(event));
    await goOnline(bob.client);
    await waitFor(() => received.length >= 7, 5000, 'the missed messages');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received.map((event) => event.data.id)).toEqual(sent.map((message) => message.id));
    off();
  });

  it('replays then follows live with no duplicate and no gap while the other side keeps sending', async () => {
    const { accessToken } = (await bob.client.tokens.tokens())!;
    const first = await syncedSocket(server.url, accessToken);
    first.socket.close();
    for (let index = 0; index < 30; index++) await alice.client.messages.send(chatId, { text: `before ${index}` });
    // Concurrent sends while the second connection replays from the old cursor.
    const sending = (async () => {
      for (let index = 0; index < 30; index++) await alice.client.messages.send(chatId, { text: `during ${index}` });
    })();
    const second = await syncedSocket(server.url, accessToken, first.cursor);
    await sending;
    await waitFor(() => second.frames.filter((frame) => frame.type === 'message.new').length >= 60, 10_000, '60 messages');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seqs = second.frames.filter((frame): frame is MessageNew => frame.type === 'message.new').map((frame) => frame.seq);
    expect(seqs).toHaveLength(60);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(60);
    expect(seqs.at(-1)! - seqs[0]!).toBe(59);
    second.socket.close();
  });

  it('gives a member of many groups live frames whose cursor names only what moved, and resumes from one exactly', async () => {
    const carol = await signUp(server.url);
    clients.push(carol.client);
    const groups = [];
    for (let index = 0; index < 30; index++) groups.push(await alice.client.chats.create({ type: 'group', title: `Busy ${index}`, memberIds: [carol.user.id] }));
    const { accessToken } = (await carol.client.tokens.tokens())!;
    const full = (await (await fetch(`${server.url}/api/v1/updates`, { headers: { authorization: `Bearer ${accessToken}` } })).json()) as { cursor: string };
    const live = await syncedSocket(server.url, accessToken);
    for (const group of groups.slice(0, 3)) await alice.client.messages.send(group.id, { text: `to ${group.title}` });
    await waitFor(() => live.frames.filter((frame) => frame.type === 'message.new').length >= 3, 5000, 'three live messages');
    const frames = live.frames.filter((frame): frame is MessageNew => frame.type === 'message.new');
    // A full cursor names all 30 groups; a live frame's names the few that moved since the stored base.
    for (const frame of [live, ...frames]) expect(frame.cursor.length).toBeLessThan(full.cursor.length / 4);
    live.socket.close();
    const missed = [await alice.client.messages.send(groups[5]!.id, { text: 'missed 1' }), await alice.client.messages.send(groups[0]!.id, { text: 'missed 2' })];
    const resumed = await syncedSocket(server.url, accessToken, frames.at(-1)!.cursor);
    await waitFor(() => resumed.frames.filter((frame) => frame.type === 'message.new').length >= 2, 5000, 'the missed messages');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const replayed = resumed.frames.filter((frame): frame is MessageNew => frame.type === 'message.new');
    // Two chats' logs merge on read: each chat's order is kept, the order across chats is not promised.
    expect(replayed.map((frame) => frame.data.id).sort()).toEqual(missed.map((message) => message.id).sort());
    resumed.socket.close();
  });

  it('sends a message queued while offline exactly once when the connection comes back', async () => {
    alice.client.realtime.disconnect();
    const clientMsgId = `offline-${Date.now()}`;
    const pending = alice.client.realtime.sendMessage({ chatId, text: 'written offline', clientMsgId });
    expect(alice.client.realtime.pendingSends).toBe(1);
    alice.client.realtime.connect();
    const message = await pending;
    expect(message.clientMsgId).toBe(clientMsgId);
    const history = await bob.client.messages.list(chatId, { before: message.seq + 1, limit: 100 });
    expect(history.filter((entry) => entry.clientMsgId === clientMsgId)).toHaveLength(1);
  });
});

describe('exactly-once sends across an uncertain disconnect', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('resends with the same clientMsgId when the ack was lost, and the server stores it once', async () => {
    const { nodeWebSocket } = await import('@kaif/client/node');
    const base = nodeWebSocket();
    let dropNextAck = true;
    // The first ack is lost together with its connection: the client cannot know the message was stored.
    const lossy: typeof base = (url) => {
      const socket = base(url);
      queueMicrotask(() => {
        const deliver = socket.onmessage;
        socket.onmessage = (event) => {
          if (dropNextAck && String(event.data).includes('"type":"ack"')) {
            dropNextAck = false;
            socket.close(4000, 'simulated network loss');
            return;
          }
          deliver?.(event);
        };
      });
      return socket;
    };
    const alice = await signUp(server.url, { webSocket: lossy });
    const chat = await alice.client.chats.create({ type: 'group', title: 'notes' });
    await goOnline(alice.client);
    const message = await alice.client.realtime.sendMessage({ chatId: chat.id, text: 'once only' });
    expect(dropNextAck).toBe(false);
    const history = await alice.client.messages.list(chat.id, { limit: 100 });
    expect(history.filter((entry) => entry.text === 'once only')).toEqual([expect.objectContaining({ id: message.id })]);
    alice.client.realtime.disconnect();
  });

  it('tells the user’s other devices about a read through the feed', async () => {
    const bob = await signUp(server.url);
    const carol = await signUp(server.url);
    const chat = await carol.client.chats.create({ type: 'direct', memberIds: [bob.user.id] });
    const sent = await carol.client.messages.send(chat.id, { text: 'read me' });
    const { accessToken } = (await bob.client.tokens.tokens())!;
    const phone = await syncedSocket(server.url, accessToken);
    const laptop = await syncedSocket(server.url, accessToken);
    phone.send({ type: 'read', chatId: chat.id, seq: sent.seq });
    const read = await laptop.next('chat.read');
    expect(read).toMatchObject({ chatId: chat.id, data: { userId: bob.user.id, seq: sent.seq } });
    phone.socket.close();
    laptop.socket.close();
  });
});
