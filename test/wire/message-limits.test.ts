import { CLIENT_MSG_ID_MAX_CHARS, MESSAGE_MAX_CHARS } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KaifTcpClient, WireRefusedError } from '../../packages/client/src/node-tcp/tcp-client.js';
import { authHeaders } from '../support/accounts.js';
import type { TestServer } from '../support/test-server.js';
import { type Person, signUpPerson } from './support/people.js';
import { rawAuthenticated } from './support/raw-tcp.js';
import { HAS_REALTIME, startWireServer, tcpPort } from './support/wire-server.js';
import { WsWatcher } from './support/ws-watcher.js';

interface Send {
  readonly clientMsgId: string;
  readonly text: string;
}

/** How a transport answered a send: the stored message's text, or the refusal as that transport can say it. */
type Outcome = { readonly sent: string } | { readonly code: string; readonly field?: string; readonly message?: string };

let unique = 0;
/** A clientMsgId of exactly `length` characters that no other send uses. */
const clientMsgIdOf = (length: number) => `${(unique++).toString(36)}-`.padEnd(length, 'x');

const tooLong: Record<string, () => Send> = {
  'a clientMsgId one character over the limit': () => ({ clientMsgId: clientMsgIdOf(CLIENT_MSG_ID_MAX_CHARS + 1), text: 'hi' }),
  'a text one letter over the limit': () => ({ clientMsgId: clientMsgIdOf(8), text: 'a'.repeat(MESSAGE_MAX_CHARS + 1) }),
  'a text of emoji one character over the limit': () => ({ clientMsgId: clientMsgIdOf(8), text: `${'🌊'.repeat(MESSAGE_MAX_CHARS)}a` }),
  'an empty text': () => ({ clientMsgId: clientMsgIdOf(8), text: '' }),
  'a text of only spaces': () => ({ clientMsgId: clientMsgIdOf(8), text: '   ' }),
};

describe.runIf(HAS_REALTIME)('message limits, the same over every transport', () => {
  let server: TestServer;
  let ana: Person;
  let chatId: string;
  let ws: WsWatcher;
  let frames = 0;

  const transports: Record<string, (send: Send) => Promise<Outcome>> = {
    HTTP: async ({ clientMsgId, text }) => {
      const response = await fetch(`${server.url}/api/v1/chats/${chatId}/messages`, {
        method: 'POST',
        headers: authHeaders(ana.accessToken),
        body: JSON.stringify({ clientMsgId, text }),
      });
      const body = (await response.json()) as { text?: string; error?: { code: string; field?: string; message: string } };
      if (response.status < 300) return { sent: body.text ?? '' };
      const { code, field, message } = body.error!;
      return { code, field, message };
    },
    WebSocket: async ({ clientMsgId, text }) => {
      const id = `f${frames++}`;
      ws.send({ type: 'message.send', id, chatId, clientMsgId, text });
      const frame = await ws.nextMatching((candidate) => candidate.id === id);
      if (frame.type === 'ack') return { sent: (frame.message as { text: string }).text };
      const { code, field, message } = frame.error as { code: string; field?: string; message: string };
      return { code, field, message };
    },
    'TCP (JSON)': async ({ clientMsgId, text }) => {
      const client = await rawAuthenticated(tcpPort(server), ana.accessToken);
      client.write({ packet_type: 'SendMessage', message: { chat_id: chatId, content: text }, client_msg_id: clientMsgId });
      const ack = await client.next();
      client.close();
      return ack.success === true ? { sent: text } : { code: String(ack.error) };
    },
    'TCP (MessagePack)': async ({ clientMsgId, text }) => {
      const client = await KaifTcpClient.connect({ host: '127.0.0.1', port: tcpPort(server), framing: 'msgpack' });
      try {
        await client.auth(ana.accessToken);
        await client.sendMessage({ chatId, text, clientMsgId });
        return { sent: text };
      } catch (error) {
        if (error instanceof WireRefusedError) return { code: error.code };
        throw error;
      } finally {
        await client.close();
      }
    },
  };

  beforeAll(async () => {
    server = await startWireServer({ engines: 'embedded' });
    const bo = await signUpPerson(server);
    ana = await signUpPerson(server);
    chatId = await ana.directChatWith(bo);
    ws = await WsWatcher.connect(server.url, ana.accessToken);
  });
  afterAll(async () => {
    ws?.close();
    await server?.stop();
  });

  it('accepts a clientMsgId and a text of exactly the limit, emoji counted as one character, on every transport', async () => {
    const text = '🌊'.repeat(MESSAGE_MAX_CHARS);
    for (const [name, send] of Object.entries(transports)) {
      expect({ name, outcome: await send({ clientMsgId: clientMsgIdOf(CLIENT_MSG_ID_MAX_CHARS), text }) }).toEqual({ name, outcome: { sent: text } });
    }
  });

  it('publishes the same limits in the OpenAPI document', async () => {
    const document = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as {
      paths: Record<string, { post: { requestBody: { content: Record<string, { schema: { properties: Record<string, object> } }> } } }>;
    };
    const body = document.paths['/api/v1/chats/{id}/messages']!.post.requestBody.content['application/json']!.schema;
    expect(body.properties.clientMsgId).toMatchObject({ minLength: 1, maxLength: CLIENT_MSG_ID_MAX_CHARS });
    expect(body.properties.text).toMatchObject({ minLength: 1, maxLength: MESSAGE_MAX_CHARS });
  });

  for (const [what, make] of Object.entries(tooLong)) {
    it(`refuses ${what} identically over HTTP, WebSocket and TCP`, async () => {
      const outcomes: Record<string, Outcome> = {};
      for (const [name, send] of Object.entries(transports)) outcomes[name] = await send(make());
      const http = outcomes.HTTP as { code: string; field: string; message: string };
      expect(http.code).toBe('VALIDATION_FAILED');
      expect(http.message.startsWith(`${http.field} `)).toBe(true);
      // HTTP and WebSocket name the field and say why in the same words; an Ack carries the code alone.
      expect(outcomes).toEqual({
        HTTP: http,
        WebSocket: http,
        'TCP (JSON)': { code: http.code },
        'TCP (MessagePack)': { code: http.code },
      });
    });
  }
});
