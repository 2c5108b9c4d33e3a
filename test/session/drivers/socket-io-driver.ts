import type { ServerFrame } from '@kaif/protocol';
import { type Socket, io } from 'socket.io-client';
import type { TestServer } from '../../support/test-server.js';
import { recordFrame, sendOutcome } from './frames.js';
import { type DriverClient, Inbox, ResumeTracker, type TransportDriver, withTimeout } from './transport-driver.js';

let clientMsgIds = 0;

/** `/socket.io` with a stock socket.io-client 4: frame types as event names, `message.send` answered by the ack callback. */
export const socketIoDriver: TransportDriver = {
  name: 'Socket.IO',
  async connect(server, token) {
    const socket = connectClient(server, token);
    const inbox = new Inbox();
    const resume = new ResumeTracker();
    const errors: ServerFrame[] = [];
    socket.onAny((_event: string, frame: ServerFrame) => {
      if (frame.type === 'error') errors.push(frame);
      recordFrame(frame, inbox, resume);
    });
    const closed = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    await withTimeout(new Promise((resolve, reject) => {
      socket.once('ready', resolve);
      socket.once('connect_error', reject);
    }), 5_000, 'ready');
    const synced = new Promise((resolve) => socket.once('synced', resolve));
    socket.emit('sync', { since: null });
    await withTimeout(synced, 5_000, 'synced');
    const client: DriverClient = {
      inbox,
      closed,
      async send(chatId, text, clientMsgId = `sio-${++clientMsgIds}`) {
        const answer = await socket.timeout(10_000).emitWithAck('message.send', { chatId, clientMsgId, text });
        return sendOutcome(answer as ServerFrame);
      },
      async typing(chatId) {
        const before = errors.length;
        socket.emit('typing', { chatId });
        await new Promise((resolve) => setTimeout(resolve, 500));
        const refused = errors[before];
        return refused?.type === 'error' ? refused.error.code : undefined;
      },
      resumePoint: (chatId) => resume.point(chatId),
      async close() {
        socket.disconnect();
        await closed;
      },
    };
    return client;
  },
  async refuses(server, token) {
    const socket = connectClient(server, token);
    const outcome = await withTimeout(
      new Promise<string>((resolve) => {
        socket.once('connect_error', (error) => resolve(error.message));
        socket.once('connect', () => resolve('connected'));
      }),
      5_000,
      'the handshake to end',
    );
    socket.disconnect();
    return outcome === 'TOKEN_INVALID';
  },
  async catchUp(server, token, from) {
    const socket = connectClient(server, token);
    const texts: string[] = [];
    socket.on('message.new', (frame: Extract<ServerFrame, { type: 'message.new' }>) => {
      if (frame.chatId === from.chatId) texts.push(frame.data.text ?? '');
    });
    await withTimeout(new Promise((resolve) => socket.once('ready', resolve)), 5_000, 'ready');
    const synced = new Promise((resolve) => socket.once('synced', resolve));
    socket.emit('sync', { since: from.cursor });
    await withTimeout(synced, 5_000, 'synced');
    socket.disconnect();
    return texts;
  },
};

export function connectClient(server: TestServer, token: string): Socket {
  return io(server.url, { auth: { token }, reconnection: false, forceNew: true });
}
