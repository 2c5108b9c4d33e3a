import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/test-server.js';
import { type Person, signUpPerson } from './support/people.js';
import { sendBytes } from './support/raw-bytes.js';
import { type RawJsonClient, rawAuthenticated } from './support/raw-tcp.js';
import { startWireServer, tcpPort } from './support/wire-server.js';

/** Deterministic pseudo-random bytes, so a failure names the sample that caused it. */
function garbage(seed: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let block = Buffer.alloc(0);
  for (let offset = 0, counter = 0; offset < length; offset += block.length, counter++) {
    block = createHash('sha256').update(`${seed}:${counter}`).digest();
    bytes.set(block.subarray(0, Math.min(block.length, length - offset)), offset);
  }
  return bytes;
}

const SLOW_READER_LINE = /^kaif_wire_errors_total\{(?=.*code="SLOW_READER")(?=.*transport="tcp")/;

async function metric(server: TestServer, line: RegExp): Promise<number> {
  const text = await (await fetch(`${server.opsUrl}/metrics`)).text();
  const match = text.split('\n').find((candidate) => line.test(candidate));
  return match ? Number(match.split(' ').at(-1)) : 0;
}

describe('CosmicProto TCP under misbehaving clients', () => {
  let server: TestServer;
  let ana: Person;
  let bo: Person;
  let chatId: string;
  /** A well-behaved client that must keep being served throughout. */
  let bystander: RawJsonClient;
  const stillServed = async () => {
    bystander.write({ packet_type: 'Ping' });
    expect(await bystander.next()).toEqual({ packet_type: 'Pong' });
  };
  beforeAll(async () => {
    server = await startWireServer({ limits: { maxWriteBufferBytes: 256 * 1024 } });
    [ana, bo] = await Promise.all([signUpPerson(server), signUpPerson(server)]);
    chatId = await ana.directChatWith(bo);
    bystander = await rawAuthenticated(tcpPort(server), bo.accessToken);
  });
  afterAll(async () => {
    bystander?.close();
    await server?.stop();
  });

  it('answers a packet over 1 MiB with PACKET_TOO_LARGE and closes only that connection', async () => {
    const client = await rawAuthenticated(tcpPort(server), ana.accessToken);
    client.writeRaw(`{"packet_type":"SendMessage","message":{"chat_id":"${chatId}","content":"${'x'.repeat(1024 * 1024 + 10)}"}}`);
    expect(await client.next()).toMatchObject({ packet_type: 'Error', error: { code: 'PACKET_TOO_LARGE' } });
    await client.untilClosed();
    await stillServed();
  });

  it('answers a MessagePack frame announcing more than 1 MiB before reading its body', async () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1024 * 1024 + 1);
    const { replies, closed } = await sendBytes(tcpPort(server), header);
    expect(replies).toEqual([{ packet_type: 'Error', error: { code: 'PACKET_TOO_LARGE', message: expect.any(String) } }]);
    expect(closed).toBe(true);
  });

  it('answers malformed JSON inside a packet with MALFORMED_PACKET and keeps the connection', async () => {
    const client = await rawAuthenticated(tcpPort(server), ana.accessToken);
    client.writeRaw('{"packet_type": nope}{"packet_type":"Ping"}');
    expect(await client.nextReplies(2)).toEqual([
      { packet_type: 'Error', error: { code: 'MALFORMED_PACKET', message: 'packet is not valid JSON' } },
      { packet_type: 'Pong' },
    ]);
    client.close();
  });

  it('closes a stream that can no longer be framed, after saying why', async () => {
    const { replies, closed } = await sendBytes(tcpPort(server), Buffer.from('{"packet_type":"Ping"} ]'));
    expect(replies).toEqual([
      { packet_type: 'Ack', success: false, error: 'AUTH_REQUIRED' },
      { packet_type: 'Error', error: { code: 'MALFORMED_PACKET', message: expect.stringContaining("expected '{'") } },
    ]);
    expect(closed).toBe(true);
  });

  it('survives random garbage on many connections: each gets errors or a close, never a crash', async () => {
    const samples = Array.from({ length: 24 }, (_, seed) => garbage(seed, 16 + seed * 97));
    const outcomes = await Promise.all(samples.map((bytes) => sendBytes(tcpPort(server), bytes, 2_000)));
    for (const outcome of outcomes) {
      for (const reply of outcome.replies) expect(reply).toMatchObject({ packet_type: expect.stringMatching(/^(Error|Ack)$/) });
    }
    expect(outcomes.some((outcome) => outcome.closed)).toBe(true);
    await stillServed();
  });

  it('drops a reader that lets replies pile up instead of buffering them without bound', async () => {
    const writer = await rawAuthenticated(tcpPort(server), ana.accessToken);
    const text = 'y'.repeat(4_000);
    writer.write(
      ...Array.from({ length: 50 }, (_, index) => ({
        packet_type: 'SendMessage',
        message: { chat_id: chatId, content: `${index} ${text}` },
        client_msg_id: `big-${index}`,
      })),
    );
    await writer.nextReplies(50, 30_000);
    writer.close();
    const before = await metric(server, SLOW_READER_LINE);

    const slow = await rawAuthenticated(tcpPort(server), ana.accessToken);
    slow.socket.pause();
    // Each page is about 200 KiB; 120 of them are far more than the kernel buffers and the 256 KiB limit.
    slow.write(...Array.from({ length: 120 }, () => ({ packet_type: 'GetMessages', chat_id: chatId, per_page: 100 })));
    await expect
      .poll(() => metric(server, SLOW_READER_LINE), { timeout: 30_000 })
      .toBe(before + 1);
    slow.socket.resume();
    await slow.untilClosed();
    await stillServed();
  });
});
