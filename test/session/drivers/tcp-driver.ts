import type { Framing } from '@kaif/protocol';
import { KaifTcpClient, WireRefusedError } from '@kaif/client/node';
import { type DriverClient, Inbox, ResumeTracker, type SendOutcome, type TransportDriver } from './transport-driver.js';

let clientMsgIds = 0;

/** CosmicProto over TCP with the SDK's client, in either framing. */
export function tcpDriver(framing: Framing): TransportDriver {
  return {
    name: `TCP ${framing === 'json' ? 'JSON' : 'MessagePack'}`,
    async connect(server, token) {
      const tcp = await KaifTcpClient.connect({ host: '127.0.0.1', port: server.ports.tcp!, framing });
      const inbox = new Inbox();
      const resume = new ResumeTracker();
      let closedByServer = false;
      tcp.on('NewMessage', ({ message }) => {
        resume.saw(null, message.chat_id, message.seq);
        inbox.push({ kind: 'message', chatId: message.chat_id, id: message.id, senderId: message.sender_id, text: message.content, seq: message.seq });
      });
      tcp.on('Typing', (packet) => inbox.push({ kind: 'typing', chatId: packet.chat_id, userId: packet.user_id }));
      tcp.on('Status', (packet) => inbox.push({ kind: 'presence', userId: packet.user_id, status: packet.status_data }));
      await tcp.auth(token);
      const client: DriverClient = {
        inbox,
        closed: tcp.closed.then(() => {
          closedByServer = true;
        }),
        async send(chatId, text, clientMsgId = `tcp-${++clientMsgIds}`) {
          try {
            return { ok: true, messageId: (await tcp.sendMessage({ chatId, text, clientMsgId })).messageId };
          } catch (error) {
            return refused(error);
          }
        },
        async typing(chatId) {
          try {
            await tcp.typing(chatId);
            return undefined;
          } catch (error) {
            return (error as WireRefusedError).code;
          }
        },
        resumePoint: (chatId) => resume.point(chatId),
        async close() {
          if (!closedByServer) await tcp.close();
        },
      };
      return client;
    },
    async refuses(server, token) {
      const tcp = await KaifTcpClient.connect({ host: '127.0.0.1', port: server.ports.tcp!, framing });
      try {
        await tcp.auth(token);
        return false;
      } catch (error) {
        return error instanceof WireRefusedError && error.code === 'TOKEN_INVALID';
      } finally {
        await tcp.close();
      }
    },
    async catchUp(server, token, from) {
      // CosmicProto has no cursor: a returning client pages history back to the last seq it saw.
      const tcp = await KaifTcpClient.connect({ host: '127.0.0.1', port: server.ports.tcp!, framing });
      await tcp.auth(token);
      const page = await tcp.getMessages(from.chatId, { perPage: 100 });
      await tcp.close();
      return page
        .filter((message) => message.seq > from.seq)
        .sort((a, b) => a.seq - b.seq)
        .map((message) => message.content);
    },
  };
}

function refused(error: unknown): SendOutcome {
  if (!(error instanceof WireRefusedError)) throw error;
  return { ok: false, code: error.code, ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }) };
}
