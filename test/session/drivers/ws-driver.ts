import type { ServerFrame } from '@kaif/protocol';
import WebSocket from 'ws';
import type { TestServer } from '../../support/test-server.js';
import { collectReplay, recordFrame, sendOutcome } from './frames.js';
import { type DriverClient, Inbox, ResumeTracker, type TransportDriver, withTimeout } from './transport-driver.js';

let frameIds = 0;

/** `GET /ws`: JSON text frames. */
export const webSocketDriver: TransportDriver = {
  name: 'WebSocket',
  async connect(server, token) {
    const socket = await open(server);
    const inbox = new Inbox();
    const resume = new ResumeTracker();
    const answers = new Map<string, (frame: ServerFrame) => void>();
    const control: ServerFrame[] = [];
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      if ((frame.type === 'ack' || frame.type === 'error') && frame.id !== undefined && answers.has(frame.id)) {
        answers.get(frame.id)!(frame);
        answers.delete(frame.id);
        return;
      }
      control.push(frame);
      recordFrame(frame, inbox, resume);
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.send(JSON.stringify({ type: 'auth', token }));
    await until(control, 'ready');
    socket.send(JSON.stringify({ type: 'sync', since: null }));
    await until(control, 'synced');
    const request = (frame: Record<string, unknown>) =>
      new Promise<ServerFrame>((resolve) => {
        const id = `f${++frameIds}`;
        answers.set(id, resolve);
        socket.send(JSON.stringify({ ...frame, id }));
      });
    const client: DriverClient = {
      inbox,
      closed,
      async send(chatId, text, clientMsgId = `ws-${++frameIds}`) {
        return sendOutcome(await request({ type: 'message.send', chatId, clientMsgId, text }));
      },
      async typing(chatId) {
        const before = control.length;
        socket.send(JSON.stringify({ type: 'typing', chatId }));
        // A refusal comes back as an error frame; an accepted typing frame has no answer.
        const refused = await withTimeout(until(control, 'error', before), 500, 'a refusal').catch(() => undefined);
        return refused?.type === 'error' ? refused.error.code : undefined;
      },
      resumePoint: (chatId) => resume.point(chatId),
      async close() {
        socket.close();
        await closed;
      },
    };
    return client;
  },
  async refuses(server, token) {
    const socket = await open(server);
    const code = new Promise<number>((resolve) => socket.once('close', (closeCode) => resolve(closeCode)));
    socket.send(JSON.stringify({ type: 'auth', token }));
    return (await withTimeout(code, 5_000, 'the socket to close')) === 4401;
  },
  async catchUp(server, token, from) {
    const socket = await open(server);
    const frames: ServerFrame[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(data.toString()) as ServerFrame));
    socket.send(JSON.stringify({ type: 'auth', token }));
    await until(frames, 'ready');
    socket.send(JSON.stringify({ type: 'sync', since: from.cursor }));
    await until(frames, 'synced');
    socket.close();
    return collectReplay(frames, from.chatId)!;
  },
};

async function open(server: TestServer): Promise<WebSocket> {
  const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

/** Waits for a frame of `type` at or after index `from`. */
async function until(frames: ServerFrame[], type: ServerFrame['type'], from = 0): Promise<ServerFrame> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = frames.slice(from).find((frame) => frame.type === type);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for a ${type} frame`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
