import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/test-server.js';
import { type Person, signUpPerson } from './support/people.js';
import { RawJsonClient, rawAuthenticated } from './support/raw-tcp.js';
import { startWireServer, tcpPort, udpPort } from './support/wire-server.js';

describe('CosmicProto TCP connection lifecycle', () => {
  let server: TestServer;
  let ana: Person;
  let bo: Person;
  let chatId: string;
  beforeAll(async () => {
    server = await startWireServer({ limits: { authTimeoutMs: 1_000, idleTimeoutMs: 1_500 } });
    [ana, bo] = await Promise.all([signUpPerson(server), signUpPerson(server)]);
    chatId = await ana.directChatWith(bo);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('logs and reports the ports it bound', () => {
    expect(server.logs).toContainEqual(
      expect.objectContaining({ msg: 'CosmicProto listening', tcpPort: tcpPort(server), udpPort: udpPort(server) }),
    );
    expect(server.service('wire').ports()).toEqual({ tcp: tcpPort(server), udp: udpPort(server) });
  });

  it('closes a connection that does not authenticate in time', async () => {
    const client = await RawJsonClient.connect(tcpPort(server));
    client.writeRaw(' ');
    expect(await client.next(3_000)).toMatchObject({ packet_type: 'Error', error: { code: 'AUTH_REQUIRED' } });
    await client.untilClosed();
  });

  it('closes a connection that sends no packet for the idle timeout, and keeps one that pings', async () => {
    const idle = await rawAuthenticated(tcpPort(server), ana.accessToken);
    const pinging = await rawAuthenticated(tcpPort(server), bo.accessToken);
    const keepAlive = setInterval(() => pinging.write({ packet_type: 'Ping' }), 300);
    const started = Date.now();
    await idle.untilClosed(5_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    clearInterval(keepAlive);
    expect(pinging.isClosed).toBe(false);
    pinging.close();
  });

  it('shows connections, packets and errors in /metrics and the listeners in /health', async () => {
    const client = await rawAuthenticated(tcpPort(server), ana.accessToken);
    client.write({ packet_type: 'Ping' }, { packet_type: 'Nonsense' });
    await client.nextReplies(2);
    const metrics = await (await fetch(`${server.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/^kaif_wire_connections\{transport="tcp".*\} [1-9]/m);
    expect(metrics).toMatch(/^kaif_wire_packets_received_total\{transport="tcp",type="Ping".*\} [1-9]/m);
    expect(metrics).toMatch(/^kaif_wire_packets_sent_total\{transport="tcp",type="Pong".*\} [1-9]/m);
    expect(metrics).toMatch(/^kaif_wire_errors_total\{transport="tcp",code="UNKNOWN_PACKET_TYPE".*\} [1-9]/m);
    const health = (await (await fetch(`${server.opsUrl}/health`)).json()) as { checks: Record<string, { status: string }> };
    expect(health.checks.wire).toMatchObject({ status: 'up' });
    client.close();
  });

  it('on shutdown finishes the acks in flight, tells the client, then closes and stops accepting', async () => {
    const client = await rawAuthenticated(tcpPort(server), ana.accessToken);
    client.write(
      ...Array.from({ length: 5 }, (_, index) => ({
        packet_type: 'SendMessage',
        message: { chat_id: chatId, content: `last words ${index}` },
        client_msg_id: `drain-${index}`,
      })),
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    const stopped = server.stop();
    const replies = await client.nextReplies(6);
    expect(replies.slice(0, 5)).toEqual(
      Array.from({ length: 5 }, (_, index) => expect.objectContaining({ success: true, client_msg_id: `drain-${index}` })),
    );
    expect(replies[5]).toMatchObject({ packet_type: 'Error', error: { code: 'NOT_READY' } });
    await client.untilClosed();
    await stopped;
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: tcpPort(server) });
      socket.once('error', () => resolve(true));
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
    });
    expect(refused).toBe(true);
  });
});
