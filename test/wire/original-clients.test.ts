import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../support/test-server.js';
import { type Person, signUpPerson } from './support/people.js';
import { RawJsonClient, rawAuthenticated } from './support/raw-tcp.js';
import { HAS_REALTIME, startWireServer, tcpPort, udpPort } from './support/wire-server.js';
import { WsWatcher } from './support/ws-watcher.js';

const run = promisify(execFile);

/** The original design's Python UDP client, plus the token this server requires. */
const PYTHON_STATUS_CLIENT = `
import json, socket, sys
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
packet = {'packet_type': 'Status', 'user_id': 1, 'status_data': 'online', 'token': sys.argv[2]}
sock.sendto(json.dumps(packet).encode(), ('127.0.0.1', int(sys.argv[1])))
`;

describe('the original design’s example clients', () => {
  let server: TestServer;
  let ana: Person;
  let bo: Person;
  let chatId: string;
  beforeAll(async () => {
    server = await startWireServer();
    [ana, bo] = await Promise.all([signUpPerson(server), signUpPerson(server)]);
    chatId = await ana.directChatWith(bo);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('reads JSON packets written back to back with no newline, and acks each once durable', async () => {
    const client = await RawJsonClient.connect(tcpPort(server));
    const send = (content: string, id: string) => ({
      packet_type: 'SendMessage',
      message: { chat_id: chatId, sender_id: 1, content, message_type: 'Text' },
      client_msg_id: id,
    });
    client.write({ packet_type: 'Auth', token: ana.accessToken }, send('Hello!', 'orig-1'), send('Hello again', 'orig-2'));
    const [auth, first, second] = await client.nextReplies(3);
    expect(auth).toEqual({ packet_type: 'Ack', success: true });
    expect(first).toMatchObject({ packet_type: 'Ack', success: true, client_msg_id: 'orig-1', message_id: expect.any(String) });
    expect(second).toMatchObject({ packet_type: 'Ack', success: true, client_msg_id: 'orig-2' });
    const stored = await ana.history(chatId);
    expect(stored.slice(0, 2).map((message) => [message.text, message.id])).toEqual([
      ['Hello again', second!.message_id],
      ['Hello!', first!.message_id],
    ]);
    client.close();
  });

  it('reassembles a packet split across writes, even inside a multi-byte character', async () => {
    const client = await rawAuthenticated(tcpPort(server), ana.accessToken);
    const bytes = Buffer.from(JSON.stringify({ packet_type: 'SendMessage', message: { chat_id: chatId, content: 'split ✂ here' }, client_msg_id: 'split-1' }));
    const cut = bytes.indexOf(Buffer.from('✂')) + 1;
    client.writeRaw(bytes.subarray(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 20));
    client.writeRaw(bytes.subarray(10, cut));
    await new Promise((resolve) => setTimeout(resolve, 20));
    client.writeRaw(bytes.subarray(cut));
    expect(await client.next()).toMatchObject({ packet_type: 'Ack', success: true, client_msg_id: 'split-1' });
    expect((await ana.history(chatId, 1))[0]?.text).toBe('split ✂ here');
    client.close();
  });

  it('delivers the Python UDP client’s Status to the peer’s TCP connection (and WebSocket)', async () => {
    const tcpWatcher = await rawAuthenticated(tcpPort(server), bo.accessToken);
    const wsWatcher = HAS_REALTIME ? await WsWatcher.connect(server.url, bo.accessToken) : undefined;
    await run('python3', ['-c', PYTHON_STATUS_CLIENT, String(udpPort(server)), ana.accessToken]);
    // The packet claimed user_id 1; the token says Ana.
    expect(await tcpWatcher.nextMatching((packet) => packet.packet_type === 'Status')).toEqual({
      packet_type: 'Status',
      user_id: ana.id,
      status_data: 'online',
    });
    if (wsWatcher) {
      const frame = await wsWatcher.nextMatching((candidate) => candidate.type === 'presence' && candidate.userId === ana.id);
      expect(frame).toMatchObject({ userId: ana.id, status: 'online' });
      wsWatcher.close();
    }
    tcpWatcher.close();
  });
});
