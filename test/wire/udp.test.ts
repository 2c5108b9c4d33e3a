import { Packr, Unpackr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/test-server.js';
import { type Person, signUpPerson } from './support/people.js';
import { rawAuthenticated } from './support/raw-tcp.js';
import { burstDatagrams, exchangeDatagram, json } from './support/udp.js';
import { startWireServer, tcpPort, udpPort } from './support/wire-server.js';

const packet = (fields: Record<string, unknown>) => JSON.stringify(fields);

describe('CosmicProto over UDP', () => {
  let server: TestServer;
  let ana: Person;
  let bo: Person;
  let cy: Person;
  let chatId: string;
  beforeAll(async () => {
    server = await startWireServer({ limits: { udpRatePerSecond: 20, udpBurst: 40, udpTokenCacheMs: 1_000 } });
    [ana, bo, cy] = await Promise.all([signUpPerson(server), signUpPerson(server), signUpPerson(server)]);
    chatId = await ana.directChatWith(bo);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers a Ping carrying its token with one Pong, in JSON or MessagePack', async () => {
    const jsonReplies = await exchangeDatagram(udpPort(server), packet({ packet_type: 'Ping', token: ana.accessToken }));
    expect(jsonReplies.map(json)).toEqual([{ packet_type: 'Pong' }]);
    const msgpack = new Packr({ useRecords: false });
    const binaryReplies = await exchangeDatagram(udpPort(server), msgpack.pack({ packet_type: 'Ping', token: ana.accessToken }));
    expect(binaryReplies.map((reply) => new Unpackr({ useRecords: false }).unpack(reply))).toEqual([{ packet_type: 'Pong' }]);
  });

  it('never answers an unauthenticated datagram with more bytes than it carried', async () => {
    const tiny = packet({ packet_type: 'Ping' });
    expect(await exchangeDatagram(udpPort(server), tiny, 500)).toEqual([]);
    const padded = packet({ packet_type: 'Ping', padding: 'p'.repeat(80) });
    const [refusal, ...rest] = await exchangeDatagram(udpPort(server), padded);
    expect(rest).toEqual([]);
    expect(json(refusal!)).toEqual({ packet_type: 'Ack', success: false, error: 'AUTH_REQUIRED' });
    expect(refusal!.length).toBeLessThanOrEqual(Buffer.byteLength(padded));
    const forged = packet({ packet_type: 'Ping', token: 'forged.token.value-long-enough-to-answer' });
    const [invalid] = await exchangeDatagram(udpPort(server), forged);
    expect(json(invalid!)).toEqual({ packet_type: 'Ack', success: false, error: 'TOKEN_INVALID' });
    expect(invalid!.length).toBeLessThanOrEqual(Buffer.byteLength(forged));
  });

  it('ignores a datagram over 8 KiB', async () => {
    const oversize = packet({ packet_type: 'Ping', token: ana.accessToken, padding: 'p'.repeat(9 * 1024) });
    expect(await exchangeDatagram(udpPort(server), oversize, 500)).toEqual([]);
  });

  it('refuses SendMessage with TCP_REQUIRED: messages and history travel over TCP', async () => {
    const send = packet({ packet_type: 'SendMessage', token: ana.accessToken, message: { chat_id: chatId, content: 'via udp?' } });
    expect((await exchangeDatagram(udpPort(server), send)).map(json)).toEqual([
      { packet_type: 'Ack', success: false, error: 'TCP_REQUIRED' },
    ]);
  });

  it('announces typing to the chat’s other members, ignoring a spoofed user_id, and refuses outsiders', async () => {
    const watcher = await rawAuthenticated(tcpPort(server), bo.accessToken);
    const typing = packet({ packet_type: 'Typing', token: ana.accessToken, chat_id: chatId, user_id: cy.id });
    expect(await exchangeDatagram(udpPort(server), typing, 100)).toEqual([]);
    expect(await watcher.nextMatching((candidate) => candidate.packet_type === 'Typing')).toEqual({
      packet_type: 'Typing',
      chat_id: chatId,
      user_id: ana.id,
    });
    const outsider = packet({ packet_type: 'Typing', token: cy.accessToken, chat_id: chatId });
    expect((await exchangeDatagram(udpPort(server), outsider)).map(json)).toEqual([
      { packet_type: 'Ack', success: false, error: 'CHAT_NOT_FOUND' },
    ]);
    watcher.close();
  });

  it('stops honouring a token within seconds of its session ending', async () => {
    const dan = await signUpPerson(server);
    const ping = packet({ packet_type: 'Ping', token: dan.accessToken });
    expect((await exchangeDatagram(udpPort(server), ping)).map(json)).toEqual([{ packet_type: 'Pong' }]);
    const logout = await fetch(`${server.url}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: dan.refreshToken }),
    });
    expect(logout.status).toBe(204);
    const started = Date.now();
    await expect
      .poll(async () => (await exchangeDatagram(udpPort(server), ping, 150)).map(json), { timeout: 5_000, interval: 100 })
      .toEqual([{ packet_type: 'Ack', success: false, error: 'TOKEN_INVALID' }]);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('rate-limits a source address: drops the excess and says FLOOD_WAIT once', async () => {
    const ping = packet({ packet_type: 'Ping', token: ana.accessToken });
    const replies = (await burstDatagrams(udpPort(server), Array.from({ length: 120 }, () => ping))).map(json);
    const pongs = replies.filter((reply) => reply.packet_type === 'Pong');
    const waits = replies.filter((reply) => reply.packet_type === 'Error');
    expect(pongs.length).toBeGreaterThan(0);
    expect(pongs.length).toBeLessThan(60);
    expect(waits).toEqual([
      { packet_type: 'Error', error: { code: 'FLOOD_WAIT', message: expect.stringMatching(/^retry in \d+ s$/), retry_after: expect.any(Number) } },
    ]);
    // The limit is 40 datagrams per 2 s window: the wait is what is left of the window.
    const retryAfter = (waits[0] as { error: { retry_after: number } }).error.retry_after;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
  });
});
