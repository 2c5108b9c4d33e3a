import { AckFrame, MessageNewEvent, PresenceEvent } from '@kaif/protocol';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineAvailable } from '../support/engines.js';
import type { EngineSet, TestServer } from '../support/test-server.js';
import { type Person, signUpPerson } from './support/people.js';
import { rawAuthenticated } from './support/raw-tcp.js';
import { exchangeDatagram } from './support/udp.js';
import { HAS_REALTIME, startWireServer, tcpPort, udpPort } from './support/wire-server.js';
import { WsWatcher } from './support/ws-watcher.js';

/** Embedded always; PostgreSQL, Redis and NATS too when configured. */
const ENGINE_SETS: readonly EngineSet[] = ['embedded', ...(engineAvailable('postgres') ? (['real'] as const) : [])];

for (const engines of ENGINE_SETS) {
  describe.runIf(HAS_REALTIME)(`CosmicProto with the other transports (${engines} engines)`, () => {
    let server: TestServer;
    let ana: Person;
    let bo: Person;
    let chatId: string;
    beforeAll(async () => {
      server = await startWireServer({ engines });
      [ana, bo] = await Promise.all([signUpPerson(server), signUpPerson(server)]);
      chatId = await ana.directChatWith(bo);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('delivers a message sent over TCP to the peer’s WebSocket and TCP connections and to HTTP history', async () => {
      const ws = await WsWatcher.connect(server.url, bo.accessToken);
      const tcpPeer = await rawAuthenticated(tcpPort(server), bo.accessToken);
      const sender = await rawAuthenticated(tcpPort(server), ana.accessToken);
      sender.write({ packet_type: 'SendMessage', message: { chat_id: chatId, content: 'tcp to all' }, client_msg_id: 'x-tcp-1' });
      const ack = await sender.next();
      expect(ack).toMatchObject({ success: true });
      const frame = await ws.nextMatching((candidate) => candidate.type === 'message.new');
      expect(frame).toMatchObject({ chatId, data: { id: ack.message_id, senderId: ana.id, text: 'tcp to all', forwardedFrom: null } });
      expect(Value.Check(MessageNewEvent, frame)).toBe(true);
      expect(await tcpPeer.nextMatching((packet) => packet.packet_type === 'NewMessage')).toEqual({
        packet_type: 'NewMessage',
        message: {
          id: ack.message_id,
          chat_id: chatId,
          seq: expect.any(Number),
          sender_id: ana.id,
          content: 'tcp to all',
          message_type: 'Text',
          client_msg_id: 'x-tcp-1',
          created_at: expect.any(String),
        },
      });
      expect((await bo.history(chatId, 1))[0]).toMatchObject({ id: ack.message_id, text: 'tcp to all' });
      for (const client of [ws, tcpPeer, sender]) client.close();
    });

    it('pushes a message sent over WebSocket to the peer’s TCP connection', async () => {
      const tcpPeer = await rawAuthenticated(tcpPort(server), ana.accessToken);
      const ws = await WsWatcher.connect(server.url, bo.accessToken);
      ws.send({ type: 'message.send', id: 'f1', chatId, clientMsgId: 'x-ws-1', text: 'ws to tcp' });
      expect(Value.Check(AckFrame, await ws.nextMatching((frame) => frame.type === 'ack'))).toBe(true);
      const pushed = await tcpPeer.nextMatching((packet) => packet.packet_type === 'NewMessage');
      expect(pushed.message).toMatchObject({ sender_id: bo.id, content: 'ws to tcp', chat_id: chatId });
      ws.close();
      tcpPeer.close();
    });

    it('shows UDP typing on the peer’s WebSocket and TCP connections, and WebSocket typing on TCP', async () => {
      const ws = await WsWatcher.connect(server.url, bo.accessToken);
      const tcpPeer = await rawAuthenticated(tcpPort(server), bo.accessToken);
      await exchangeDatagram(udpPort(server), JSON.stringify({ packet_type: 'Typing', token: ana.accessToken, chat_id: chatId }), 50);
      expect(await ws.nextMatching((frame) => frame.type === 'typing')).toMatchObject({ chatId, userId: ana.id });
      expect(await tcpPeer.nextMatching((packet) => packet.packet_type === 'Typing')).toEqual({
        packet_type: 'Typing',
        chat_id: chatId,
        user_id: ana.id,
      });
      const tcpAna = await rawAuthenticated(tcpPort(server), ana.accessToken);
      ws.send({ type: 'typing', chatId });
      expect(await tcpAna.nextMatching((packet) => packet.packet_type === 'Typing')).toEqual({
        packet_type: 'Typing',
        chat_id: chatId,
        user_id: bo.id,
      });
      for (const client of [ws, tcpPeer, tcpAna]) client.close();
    });

    it('tells a TCP watcher when the peer comes online over WebSocket', async () => {
      const carl = await signUpPerson(server);
      await carl.directChatWith(ana);
      const tcpAna = await rawAuthenticated(tcpPort(server), ana.accessToken);
      const ws = await WsWatcher.connect(server.url, carl.accessToken);
      expect(await tcpAna.nextMatching((packet) => packet.packet_type === 'Status')).toEqual({
        packet_type: 'Status',
        user_id: carl.id,
        status_data: 'online',
      });
      ws.close();
      tcpAna.close();
    });

    it('shows a status of away sent over TCP to the peer’s WebSocket as the shared presence shape says', async () => {
      const ws = await WsWatcher.connect(server.url, bo.accessToken);
      const tcpAna = await rawAuthenticated(tcpPort(server), ana.accessToken);
      tcpAna.write({ packet_type: 'Status', status_data: 'away' });
      expect(await tcpAna.next()).toMatchObject({ packet_type: 'Ack', success: true });
      const frame = await ws.nextMatching((candidate) => candidate.type === 'presence' && candidate.status === 'away');
      expect(frame).toMatchObject({ userId: ana.id, status: 'away' });
      expect(Value.Check(PresenceEvent, frame)).toBe(true);
      ws.close();
      tcpAna.close();
    });

    it('pushes messages of a chat created after the TCP connection authenticated', async () => {
      const tcpAna = await rawAuthenticated(tcpPort(server), ana.accessToken);
      const eve = await signUpPerson(server);
      const newChat = await eve.directChatWith(ana);
      await eve.sendOverHttp(newChat, 'hello from a new chat');
      const pushed = await tcpAna.nextMatching((packet) => packet.packet_type === 'NewMessage');
      expect(pushed.message).toMatchObject({ chat_id: newChat, sender_id: eve.id, content: 'hello from a new chat' });
      tcpAna.close();
    });

    it('closes a TCP connection whose session is signed out', async () => {
      const fay = await signUpPerson(server);
      const tcpFay = await rawAuthenticated(tcpPort(server), fay.accessToken);
      await fetch(`${server.url}/api/v1/auth/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: fay.refreshToken }),
      });
      expect(await tcpFay.next()).toMatchObject({ packet_type: 'Error', error: { code: 'TOKEN_INVALID' } });
      await tcpFay.untilClosed();
    });
  });
}
