import { randomUUID } from 'node:crypto';
import { KaifTcpClient, type WireRefusedError } from '@kaif/client/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WIRE_LIMITS } from '../../packages/server/src/modules/wire/wire-limits.js';
import { ENGINE_SETS, call } from '../identity/identity-http.js';
import type { TestServer } from '../support/test-server.js';
import { type Person, signUpPerson } from './support/people.js';
import { type Packet, RawJsonClient, rawAuthenticated } from './support/raw-tcp.js';
import { burstDatagrams, json } from './support/udp.js';
import { startWireServer, tcpPort, udpPort } from './support/wire-server.js';

const isFloodWait = (packet: Packet) =>
  packet.packet_type === 'Ack' && packet.success === false && packet.error === 'FLOOD_WAIT' && Number(packet.retry_after) >= 1;

describe('CosmicProto connection defaults', () => {
  it('gives an unauthenticated TCP connection at most 10 s to authenticate', () => {
    expect(DEFAULT_WIRE_LIMITS.authTimeoutMs).toBeLessThanOrEqual(10_000);
  });
});

for (const engines of ENGINE_SETS) {
  describe(`CosmicProto draws on the budgets HTTP and WebSocket use (${engines})`, () => {
    let server: TestServer;
    let ana: Person;
    let bo: Person;
    beforeAll(async () => {
      // 10 points per user and 50 per address a minute; at most 3 TCP connections per address.
      server = await startWireServer({ engines, env: { KAIF_RATE_LIMIT_PER_MINUTE: '10', KAIF_TCP_CONNECTIONS_PER_IP: '3' } });
      [ana, bo] = await Promise.all([signUpPerson(server), signUpPerson(server)]);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('refuses SendMessage past the user’s budget with FLOOD_WAIT and retry_after, stores none of those, and the API sees the same budget', async () => {
      const chatId = await ana.directChatWith(bo);
      const client = await rawAuthenticated(tcpPort(server), ana.accessToken);
      client.write(
        ...Array.from({ length: 15 }, (_, index) => ({
          packet_type: 'SendMessage',
          message: { chat_id: chatId, content: `flood ${index}` },
          client_msg_id: `flood-${index}`,
        })),
      );
      const acks = await client.nextReplies(15);
      const stored = acks.filter((ack) => ack.success === true);
      const refused = acks.filter((ack) => ack.success === false);
      // Creating the chat over HTTP spent one point of the same budget.
      expect(stored).toHaveLength(9);
      expect(refused).toHaveLength(6);
      for (const ack of refused) expect(isFloodWait(ack)).toBe(true);
      expect(refused.map((ack) => ack.client_msg_id)).toEqual(Array.from({ length: 6 }, (_, index) => `flood-${index + 9}`));
      expect(await bo.history(chatId)).toHaveLength(9);
      expect((await call(server, 'GET', '/api/v1/me', { token: ana.accessToken })).status).toBe(429);
      client.close();
    });

    it('charges a page of history more than a Ping', async () => {
      const [cy, dee] = await Promise.all([signUpPerson(server), signUpPerson(server)]);
      const pinger = await rawAuthenticated(tcpPort(server), dee.accessToken);
      pinger.write(...Array.from({ length: 11 }, () => ({ packet_type: 'Ping' })));
      const pongs = await pinger.nextReplies(11);
      expect(pongs.filter((reply) => reply.packet_type === 'Pong')).toHaveLength(10);
      expect(isFloodWait(pongs[10]!)).toBe(true);

      const chatId = await bo.directChatWith(cy);
      const reader = await rawAuthenticated(tcpPort(server), cy.accessToken);
      reader.write(...Array.from({ length: 6 }, () => ({ packet_type: 'GetMessages', chat_id: chatId })));
      const pages = await reader.nextReplies(6);
      expect(pages.filter((reply) => reply.packet_type === 'Messages')).toHaveLength(5);
      expect(isFloodWait(pages[5]!)).toBe(true);
      pinger.close();
      reader.close();
    });

    it('tells an SDK client over MessagePack how long to wait', async () => {
      const gus = await signUpPerson(server);
      const sdk = await KaifTcpClient.connect({ host: '127.0.0.1', port: tcpPort(server), framing: 'msgpack' });
      await sdk.auth(gus.accessToken);
      for (let ping = 0; ping < 10; ping++) await sdk.ping();
      const refused = (await sdk.ping().catch((error: unknown) => error)) as WireRefusedError;
      expect(refused.code).toBe('FLOOD_WAIT');
      expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
      await sdk.close();
    });

    it('refuses UDP datagrams past the user’s budget once their token is verified', async () => {
      const erin = await signUpPerson(server);
      const ping = JSON.stringify({ packet_type: 'Ping', token: erin.accessToken });
      const replies = (await burstDatagrams(udpPort(server), Array.from({ length: 12 }, () => ping))).map(json);
      expect(replies.filter((reply) => reply.packet_type === 'Pong')).toHaveLength(10);
      const refused = replies.filter((reply) => reply.packet_type !== 'Pong');
      expect(refused).toHaveLength(2);
      for (const reply of refused) expect(isFloodWait(reply as Packet)).toBe(true);
    });

    it('caps the TCP connections one address holds, and takes a new one once another closes', async () => {
      const held = await Promise.all([0, 1, 2].map(() => RawJsonClient.connect(tcpPort(server))));
      for (const client of held) client.write({ packet_type: 'Ping' });
      for (const client of held) expect(await client.next()).toMatchObject({ packet_type: 'Ack', error: 'AUTH_REQUIRED' });
      const extra = await RawJsonClient.connect(tcpPort(server));
      extra.write({ packet_type: 'Ping' });
      await extra.untilClosed();
      expect(extra.received).toEqual([]);
      held[0]!.close();
      await held[0]!.closed;
      const accepted = await acceptedConnection(tcpPort(server));
      expect(accepted.reply).toMatchObject({ packet_type: 'Ack', error: 'AUTH_REQUIRED' });
      accepted.client.close();
      for (const client of held) client.close();
    });

    it('charges packets sent before Auth to the address', async () => {
      const { client: stranger, reply: first } = await acceptedConnection(tcpPort(server));
      let reply: Packet | undefined = first;
      for (let sent = 0; sent < 60 && !(reply && isFloodWait(reply)); sent++) {
        stranger.write({ packet_type: 'GetMessages', chat_id: randomUUID() });
        reply = await stranger.next();
      }
      expect(reply && isFloodWait(reply)).toBe(true);
      stranger.close();
    });
  });
}

/**
 * The server learns of a client's close a moment after the client: connect
 * until a connection is kept, and return it with its answer to a Ping.
 */
async function acceptedConnection(port: number): Promise<{ readonly client: RawJsonClient; readonly reply: Packet }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const client = await RawJsonClient.connect(port);
    client.write({ packet_type: 'Ping' });
    const reply = await Promise.race([client.closed.then(() => undefined), client.next().catch(() => undefined)]);
    if (reply) return { client, reply };
    client.close();
  }
  throw new Error('no connection was accepted');
}
