import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KaifTcpClient, WireRefusedError } from '@kaif/client/node';
import type { TestServer } from '../support/test-server.js';
import { type Person, signUpPerson } from './support/people.js';
import { RawJsonClient, rawAuthenticated } from './support/raw-tcp.js';
import { startWireServer, tcpPort } from './support/wire-server.js';

describe('CosmicProto over TCP', () => {
  let server: TestServer;
  let ana: Person;
  let bo: Person;
  let cy: Person;
  let chatId: string;
  beforeAll(async () => {
    server = await startWireServer();
    [ana, bo, cy] = await Promise.all([signUpPerson(server), signUpPerson(server), signUpPerson(server)]);
    chatId = await ana.directChatWith(bo);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses every packet before Auth with AUTH_REQUIRED, and stores nothing', async () => {
    const client = await RawJsonClient.connect(tcpPort(server));
    client.write(
      { packet_type: 'Ping' },
      { packet_type: 'SendMessage', message: { chat_id: chatId, content: 'sneaky' }, client_msg_id: 'pre-auth' },
      { packet_type: 'GetMessages', chat_id: chatId },
    );
    expect(await client.nextReplies(3)).toEqual([
      { packet_type: 'Ack', success: false, error: 'AUTH_REQUIRED' },
      { packet_type: 'Ack', success: false, error: 'AUTH_REQUIRED', client_msg_id: 'pre-auth' },
      { packet_type: 'Ack', success: false, error: 'AUTH_REQUIRED' },
    ]);
    expect((await ana.history(chatId)).some((message) => message.text === 'sneaky')).toBe(false);
    client.close();
  });

  it('keeps the connection after a wrong token so the client can retry, and closes after three', async () => {
    const client = await RawJsonClient.connect(tcpPort(server));
    client.write({ packet_type: 'Auth', token: 'not-a-token' });
    expect(await client.next()).toEqual({ packet_type: 'Ack', success: false, error: 'TOKEN_INVALID' });
    client.write({ packet_type: 'Auth', token: ana.accessToken });
    expect(await client.next()).toEqual({ packet_type: 'Ack', success: true });
    client.write({ packet_type: 'Auth', token: ana.accessToken });
    expect(await client.next()).toEqual({ packet_type: 'Ack', success: false, error: 'ALREADY_AUTHENTICATED' });
    client.close();

    const guesser = await RawJsonClient.connect(tcpPort(server));
    guesser.write(...['a', 'b', 'c'].map((token) => ({ packet_type: 'Auth', token })));
    expect((await guesser.nextReplies(3)).map((packet) => packet.error)).toEqual(['TOKEN_INVALID', 'TOKEN_INVALID', 'TOKEN_INVALID']);
    await guesser.untilClosed();
  });

  it('pipelines 300 sends on one connection: every Ack in packet order, the messages stored in that order', async () => {
    const client = await rawAuthenticated(tcpPort(server), ana.accessToken);
    const ids = Array.from({ length: 300 }, (_, index) => `pipe-${index}`);
    client.write(
      ...ids.map((id) => ({ packet_type: 'SendMessage', message: { chat_id: chatId, content: id }, client_msg_id: id })),
      { packet_type: 'Ping' },
    );
    const replies = await client.nextReplies(301);
    expect(replies.slice(0, 300).map((reply) => [reply.success, reply.client_msg_id])).toEqual(ids.map((id) => [true, id]));
    expect(replies[300]).toEqual({ packet_type: 'Pong' });
    // History pages hold 100: the newest page is the last 100 sends, in packet order.
    const stored = (await ana.history(chatId, 100)).filter((message) => message.text?.startsWith('pipe-'));
    expect(stored.sort((a, b) => a.seq - b.seq).map((message) => message.text)).toEqual(ids.slice(200));
    client.close();
  });

  it('stores a message under the token’s user whatever sender_id the packet claims', async () => {
    const client = await rawAuthenticated(tcpPort(server), ana.accessToken);
    client.write({
      packet_type: 'SendMessage',
      sender_id: bo.id,
      user_id: bo.id,
      message: { chat_id: chatId, sender_id: bo.id, content: 'who wrote this?', message_type: 'Text' },
      client_msg_id: 'spoof-1',
    });
    const ack = await client.next();
    expect(ack).toMatchObject({ success: true });
    const stored = (await bo.history(chatId)).find((message) => message.id === ack.message_id);
    expect(stored).toMatchObject({ senderId: ana.id, text: 'who wrote this?' });
    client.close();
  });

  it('answers a repeated client_msg_id with the first message and stores it once', async () => {
    const client = await rawAuthenticated(tcpPort(server), ana.accessToken);
    const packet = { packet_type: 'SendMessage', message: { chat_id: chatId, content: 'only once' }, client_msg_id: 'retry-1' };
    client.write(packet, packet);
    const [first, retry] = await client.nextReplies(2);
    expect(retry).toEqual(first);
    expect((await ana.history(chatId)).filter((message) => message.text === 'only once')).toHaveLength(1);
    client.close();
  });

  it('gives a packet without client_msg_id a fresh id, so a resend stores a second copy', async () => {
    const client = await rawAuthenticated(tcpPort(server), ana.accessToken);
    const packet = { packet_type: 'SendMessage', message: { chat_id: chatId, content: 'no id' } };
    client.write(packet, packet);
    const [first, second] = await client.nextReplies(2);
    expect(first?.client_msg_id).toEqual(expect.any(String));
    expect(second?.client_msg_id).not.toBe(first?.client_msg_id);
    expect((await ana.history(chatId)).filter((message) => message.text === 'no id')).toHaveLength(2);
    client.close();
  });

  it('refuses a chat the user is not in without revealing it', async () => {
    const client = await rawAuthenticated(tcpPort(server), cy.accessToken);
    client.write(
      { packet_type: 'SendMessage', message: { chat_id: chatId, content: 'intruder' }, client_msg_id: 'x-1' },
      { packet_type: 'GetMessages', chat_id: chatId },
      { packet_type: 'Typing', chat_id: chatId },
    );
    expect(await client.nextReplies(3)).toEqual([
      { packet_type: 'Ack', success: false, error: 'CHAT_NOT_FOUND', client_msg_id: 'x-1' },
      { packet_type: 'Ack', success: false, error: 'CHAT_NOT_FOUND' },
      { packet_type: 'Ack', success: false, error: 'CHAT_NOT_FOUND' },
    ]);
    client.close();
  });

  it('answers Ping with Pong and a packet that fails validation with its code, keeping the connection', async () => {
    const client = await rawAuthenticated(tcpPort(server), ana.accessToken);
    client.write({ packet_type: 'Teleport' }, { packet_type: 'Status', status_data: 'sleeping' }, { packet_type: 'Ping' });
    expect(await client.nextReplies(3)).toEqual([
      { packet_type: 'Ack', success: false, error: 'UNKNOWN_PACKET_TYPE' },
      { packet_type: 'Ack', success: false, error: 'VALIDATION_FAILED' },
      { packet_type: 'Pong' },
    ]);
    client.close();
  });

  it('pages history newest first over MessagePack with the SDK transport', async () => {
    const dan = await signUpPerson(server);
    const pagedChat = await ana.directChatWith(dan);
    const sdk = await KaifTcpClient.connect({ host: '127.0.0.1', port: tcpPort(server), framing: 'msgpack' });
    await sdk.auth(ana.accessToken);
    for (let index = 1; index <= 7; index++) await sdk.sendMessage({ chatId: pagedChat, text: `m${index}` });
    const page1 = await sdk.getMessages(pagedChat, { page: 1, perPage: 3 });
    const page2 = await sdk.getMessages(pagedChat, { page: 2, perPage: 3 });
    const page3 = await sdk.getMessages(pagedChat, { page: 3, perPage: 3 });
    const page4 = await sdk.getMessages(pagedChat, { page: 4, perPage: 3 });
    expect([page1, page2, page3, page4].map((page) => page.map((message) => message.content))).toEqual([
      ['m7', 'm6', 'm5'],
      ['m4', 'm3', 'm2'],
      ['m1'],
      [],
    ]);
    expect(page1[0]).toMatchObject({ chat_id: pagedChat, sender_id: ana.id, message_type: 'Text', seq: expect.any(Number) });
    await expect(sdk.sendMessage({ chatId: 'no-such-chat', text: 'x' })).rejects.toEqual(new WireRefusedError('CHAT_NOT_FOUND'));
    await sdk.ping();
    await sdk.close();
  });

  it('caps per_page at 100', async () => {
    const client = await rawAuthenticated(tcpPort(server), ana.accessToken);
    for (let index = 0; index < 105; index += 35) {
      client.write(
        ...Array.from({ length: 35 }, (_, offset) => ({
          packet_type: 'SendMessage',
          message: { chat_id: chatId, content: `bulk ${index + offset}` },
          client_msg_id: `bulk-${index + offset}`,
        })),
      );
      await client.nextReplies(35, 20_000);
    }
    client.write({ packet_type: 'GetMessages', chat_id: chatId, page: 1, per_page: 1000 });
    const page = await client.next();
    expect(page).toMatchObject({ packet_type: 'Messages', chat_id: chatId });
    expect(page.messages).toHaveLength(100);
    client.close();
  });
});
