import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_SETS, call } from '../identity/identity-http.js';
import type { TestServer } from '../support/test-server.js';
import { type Person, signUpPerson } from './support/people.js';
import { type RawJsonClient, rawAuthenticated } from './support/raw-tcp.js';
import { burstDatagrams, exchangeDatagram, json } from './support/udp.js';
import { startWireServer, tcpPort, udpPort } from './support/wire-server.js';
import { WsWatcher } from './support/ws-watcher.js';

const isTyping = (userId: string) => (packet: { packet_type: string; user_id?: unknown }) =>
  packet.packet_type === 'Typing' && packet.user_id === userId;

for (const engines of ENGINE_SETS) {
  describe(`typing over every transport (${engines})`, () => {
    let server: TestServer;
    let ana: Person;
    let bo: Person;
    let cy: Person;
    let dee: Person;
    /** bo watches over TCP. */
    let watcher: RawJsonClient;
    beforeAll(async () => {
      server = await startWireServer({ engines });
      [ana, bo, cy, dee] = await Promise.all([signUpPerson(server), signUpPerson(server), signUpPerson(server), signUpPerson(server)]);
      watcher = await rawAuthenticated(tcpPort(server), bo.accessToken);
    });
    afterAll(async () => {
      watcher?.close();
      await server?.stop();
    });

    /** The typing signals bo saw from `person` before `barrier` was seen typing in the same chat (one bus subject, so in order). */
    const typingSeenBefore = async (person: Person, barrier: Person): Promise<number> => {
      await watcher.nextMatching(isTyping(barrier.id));
      return watcher.received.filter(isTyping(person.id)).length;
    };

    it('throttles a flood of TCP Typing packets to one announcement per window', async () => {
      const chatId = await ana.groupWith([bo, cy]);
      const typist = await rawAuthenticated(tcpPort(server), ana.accessToken);
      typist.write(...Array.from({ length: 30 }, () => ({ packet_type: 'Typing', chat_id: chatId })));
      const acks = await typist.nextReplies(30);
      expect(new Set(acks.map((ack) => ack.success))).toEqual(new Set([true]));
      const barrier = await rawAuthenticated(tcpPort(server), cy.accessToken);
      barrier.write({ packet_type: 'Typing', chat_id: chatId });
      await barrier.next();
      expect(await typingSeenBefore(ana, cy)).toBe(1);
      watcher.received.splice(0);
      typist.close();
      barrier.close();
    });

    it('throttles UDP Typing datagrams with the same throttle as TCP', async () => {
      const chatId = await ana.groupWith([bo, dee]);
      const typing = JSON.stringify({ packet_type: 'Typing', token: ana.accessToken, chat_id: chatId });
      expect(await burstDatagrams(udpPort(server), Array.from({ length: 20 }, () => typing), 200)).toEqual([]);
      const tcpTypist = await rawAuthenticated(tcpPort(server), ana.accessToken);
      tcpTypist.write({ packet_type: 'Typing', chat_id: chatId });
      expect(await tcpTypist.next()).toEqual({ packet_type: 'Ack', success: true });
      await exchangeDatagram(udpPort(server), JSON.stringify({ packet_type: 'Typing', token: dee.accessToken, chat_id: chatId }), 50);
      expect(await typingSeenBefore(ana, dee)).toBe(1);
      watcher.received.splice(0);
      tcpTypist.close();
    });

    it('never shows a channel subscriber typing, on any transport, while the owner is shown', async () => {
      const channel = await call<{ id: string }>(server, 'POST', '/api/v1/chats', {
        token: ana.accessToken,
        body: { type: 'channel', title: 'Typing news' },
      });
      const channelId = channel.body.id;
      for (const subscriber of [bo, cy, dee]) {
        expect((await call(server, 'POST', `/api/v1/chats/${channelId}/join`, { token: subscriber.accessToken })).status).toBe(200);
      }
      const boWs = await WsWatcher.connect(server.url, bo.accessToken);
      // A fresh TCP watcher: the old one learnt of the channel only through the bus.
      const boTcp = await rawAuthenticated(tcpPort(server), bo.accessToken);

      const cyTcp = await rawAuthenticated(tcpPort(server), cy.accessToken);
      cyTcp.write({ packet_type: 'Typing', chat_id: channelId });
      expect(await cyTcp.next()).toEqual({ packet_type: 'Ack', success: false, error: 'CHAT_WRITE_FORBIDDEN' });
      const refusal = await exchangeDatagram(udpPort(server), JSON.stringify({ packet_type: 'Typing', token: cy.accessToken, chat_id: channelId }));
      expect(refusal.map(json)).toEqual([{ packet_type: 'Ack', success: false, error: 'CHAT_WRITE_FORBIDDEN' }]);
      const cyWs = await WsWatcher.connect(server.url, cy.accessToken);
      cyWs.send({ type: 'typing', chatId: channelId });
      expect(await cyWs.nextMatching((frame) => frame.type === 'error')).toMatchObject({ error: { code: 'CHAT_WRITE_FORBIDDEN' } });

      const anaTcp = await rawAuthenticated(tcpPort(server), ana.accessToken);
      anaTcp.write({ packet_type: 'Typing', chat_id: channelId });
      expect(await anaTcp.next()).toEqual({ packet_type: 'Ack', success: true });
      expect(await boWs.nextMatching((frame) => frame.type === 'typing')).toMatchObject({ chatId: channelId, userId: ana.id });
      await boTcp.nextMatching(isTyping(ana.id));
      expect(boTcp.received.filter(isTyping(cy.id))).toEqual([]);
      for (const client of [boTcp, cyTcp, anaTcp]) client.close();
      for (const socket of [boWs, cyWs]) socket.close();
    });
  });
}
