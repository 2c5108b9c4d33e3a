import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE_SETS } from '../identity/identity-http.js';
import type { TestServer } from '../support/test-server.js';
import { type Person, signUpPerson } from '../wire/support/people.js';
import { burstDatagrams, exchangeDatagram, json } from '../wire/support/udp.js';
import { startWireServer, udpPort } from '../wire/support/wire-server.js';
import { socketIoDriver } from './drivers/socket-io-driver.js';
import { tcpDriver } from './drivers/tcp-driver.js';
import { type Seen, type TransportDriver, withTimeout } from './drivers/transport-driver.js';
import { webSocketDriver } from './drivers/ws-driver.js';

/** Every transport that carries a session; UDP, which carries no session, is checked for what it carries. */
const DRIVERS: readonly TransportDriver[] = [webSocketDriver, tcpDriver('json'), tcpDriver('msgpack'), socketIoDriver];

/** Small enough to reach in a test: 40 points a minute per user, 200 per address. */
const BUDGET_PER_MINUTE = 40;

const messageWith = (text: string) => (item: Seen) => item.kind === 'message' && item.text === text;

const CASES = ENGINE_SETS.flatMap((engines) => DRIVERS.map((driver) => ({ engines, driver })));

for (const { engines, driver } of CASES) {
  describe(`the session rules over ${driver.name} (${engines} engines)`, () => {
    let server: TestServer;
    let ana: Person;
    let bo: Person;
    let chatId: string;
    beforeAll(async () => {
      server = await startWireServer({ engines, env: { KAIF_RATE_LIMIT_PER_MINUTE: String(BUDGET_PER_MINUTE) } });
      [ana, bo] = await Promise.all([signUpPerson(server), signUpPerson(server)]);
      chatId = await ana.directChatWith(bo);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('refuses a token that is no good and signs a good one in', async () => {
      expect(await driver.refuses(server, 'not-a-token')).toBe(true);
      const client = await driver.connect(server, ana.accessToken);
      await client.close();
    });

    it('acknowledges a send once stored and delivers it live to the peer and the sender’s other connections', async () => {
      const peer = await driver.connect(server, bo.accessToken);
      const sender = await driver.connect(server, ana.accessToken);
      const otherDevice = await driver.connect(server, ana.accessToken);
      const outcome = await sender.send(chatId, 'one rule for all');
      expect(outcome.ok).toBe(true);
      const messageId = outcome.ok ? outcome.messageId : '';
      expect((await bo.history(chatId, 1))[0]).toMatchObject({ id: messageId, text: 'one rule for all' });
      for (const watcher of [peer, otherDevice]) {
        expect(await watcher.inbox.next(messageWith('one rule for all'))).toMatchObject({ chatId, id: messageId, senderId: ana.id });
      }
      await sender.send(chatId, 'second');
      await peer.inbox.next(messageWith('second'));
      // Exactly once each: no firehose duplicate, no replay of what was already delivered.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(peer.inbox.count((item) => item.kind === 'message')).toBe(0);
      for (const client of [peer, sender, otherDevice]) await client.close();
    });

    it('catches up on exactly what was missed while away, in order', async () => {
      const away = await driver.connect(server, bo.accessToken);
      await ana.sendOverHttp(chatId, 'seen before leaving');
      await away.inbox.next(messageWith('seen before leaving'));
      const resumeFrom = away.resumePoint(chatId);
      await away.close();
      for (const text of ['missed 1', 'missed 2', 'missed 3']) await ana.sendOverHttp(chatId, text);
      expect(await driver.catchUp(server, bo.accessToken, resumeFrom)).toEqual(['missed 1', 'missed 2', 'missed 3']);
    });

    it('shows typing to the other member once per throttle window, and never in a chat the user is not in', async () => {
      const watcher = await driver.connect(server, bo.accessToken);
      const typist = await driver.connect(server, ana.accessToken);
      expect(await typist.typing(chatId)).toBeUndefined();
      expect(await watcher.inbox.next((item) => item.kind === 'typing')).toEqual({ kind: 'typing', chatId, userId: ana.id });
      expect(await typist.typing(chatId)).toBeUndefined();
      const [cy, dee] = await Promise.all([signUpPerson(server), signUpPerson(server)]);
      const strangersChat = await cy.directChatWith(dee);
      expect(await typist.typing(strangersChat)).toBe('CHAT_NOT_FOUND');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(watcher.inbox.count((item) => item.kind === 'typing')).toBe(0);
      for (const client of [watcher, typist]) await client.close();
    });

    it('shows typing sent over UDP, through the same throttle', async () => {
      const [cy, dee] = await Promise.all([signUpPerson(server), signUpPerson(server)]);
      const theirChat = await cy.directChatWith(dee);
      const watcher = await driver.connect(server, dee.accessToken);
      const datagram = JSON.stringify({ packet_type: 'Typing', token: cy.accessToken, chat_id: theirChat });
      expect(await exchangeDatagram(udpPort(server), datagram, 50)).toEqual([]);
      expect(await watcher.inbox.next((item) => item.kind === 'typing')).toEqual({ kind: 'typing', chatId: theirChat, userId: cy.id });
      const typist = await driver.connect(server, cy.accessToken);
      expect(await typist.typing(theirChat)).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(watcher.inbox.count((item) => item.kind === 'typing')).toBe(0);
      for (const client of [watcher, typist]) await client.close();
    });

    it('tells a contact when the user comes online and goes offline', async () => {
      const [cy, dee] = await Promise.all([signUpPerson(server), signUpPerson(server)]);
      await cy.directChatWith(dee);
      const watcher = await driver.connect(server, dee.accessToken);
      const comer = await driver.connect(server, cy.accessToken);
      expect(await watcher.inbox.next((item) => item.kind === 'presence')).toEqual({ kind: 'presence', userId: cy.id, status: 'online' });
      await comer.close();
      expect(await watcher.inbox.next((item) => item.kind === 'presence')).toEqual({ kind: 'presence', userId: cy.id, status: 'offline' });
      await watcher.close();
    });

    it('refuses sends past the user’s cluster-wide budget with FLOOD_WAIT and how long to wait', async () => {
      const erin = await signUpPerson(server);
      // Creating the chat over HTTP draws one point of the same budget.
      const erinsChat = await erin.directChatWith(bo);
      const client = await driver.connect(server, erin.accessToken);
      const outcomes = await Promise.all(Array.from({ length: BUDGET_PER_MINUTE + 5 }, (_, index) => client.send(erinsChat, `flood ${index}`)));
      expect(outcomes.filter((outcome) => outcome.ok)).toHaveLength(BUDGET_PER_MINUTE - 1);
      const refused = outcomes.filter((outcome) => !outcome.ok);
      expect(refused).toHaveLength(6);
      for (const outcome of refused) expect(outcome).toMatchObject({ ok: false, code: 'FLOOD_WAIT', retryAfter: expect.any(Number) });
      expect(await bo.history(erinsChat)).toHaveLength(BUDGET_PER_MINUTE - 1);
      await client.close();
    });

    it('applies the same text and clientMsgId limits as the HTTP API', async () => {
      const fay = await signUpPerson(server);
      const faysChat = await fay.directChatWith(bo);
      const client = await driver.connect(server, fay.accessToken);
      expect((await client.send(faysChat, 'x'.repeat(4096))).ok).toBe(true);
      expect(await client.send(faysChat, 'x'.repeat(4097))).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
      expect((await client.send(faysChat, 'id at the limit', 'i'.repeat(64))).ok).toBe(true);
      expect(await client.send(faysChat, 'id past the limit', 'i'.repeat(65))).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
      await client.close();
    });

    it('closes the connection when its session is signed out', async () => {
      const gus = await signUpPerson(server);
      const client = await driver.connect(server, gus.accessToken);
      const response = await fetch(`${server.url}/api/v1/auth/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: gus.refreshToken }),
      });
      expect(response.status).toBeLessThan(300);
      await withTimeout(client.closed, 5_000, 'the server to close the connection');
    });
  });
}

describe('the session rules over UDP, for what a datagram carries', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startWireServer({ env: { KAIF_RATE_LIMIT_PER_MINUTE: String(BUDGET_PER_MINUTE) } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a token that is no good and answers a good one', async () => {
    const hal = await signUpPerson(server);
    const ping = (token: string) => exchangeDatagram(udpPort(server), JSON.stringify({ packet_type: 'Ping', token }));
    // Long enough to be answered: an unverified datagram never gets more bytes back than it carried.
    expect((await ping('x'.repeat(200))).map(json)).toEqual([{ packet_type: 'Ack', success: false, error: 'TOKEN_INVALID' }]);
    expect((await ping(hal.accessToken)).map(json)).toEqual([{ packet_type: 'Pong' }]);
  });

  it('refuses datagrams past the user’s cluster-wide budget at the same count as every other transport', async () => {
    const ivy = await signUpPerson(server);
    const ping = JSON.stringify({ packet_type: 'Ping', token: ivy.accessToken });
    const replies = (await burstDatagrams(udpPort(server), Array.from({ length: BUDGET_PER_MINUTE + 5 }, () => ping))).map(json);
    expect(replies.filter((reply) => reply.packet_type === 'Pong')).toHaveLength(BUDGET_PER_MINUTE);
    const refused = replies.filter((reply) => reply.packet_type !== 'Pong');
    expect(refused).toHaveLength(5);
    for (const reply of refused) expect(reply).toMatchObject({ packet_type: 'Ack', success: false, error: 'FLOOD_WAIT', retry_after: expect.any(Number) });
  });
});
