/**
 * One load-generator process (forked by fanout.ts): opens its share of the
 * connections from several 127.0.0.x source addresses, joins each to its
 * room, and records when each message arrives. Send time travels in the text
 * (`bench:<epoch ms>:<n>`), and all processes share the host's clock.
 */
import { io as socketIo } from 'socket.io-client';
import WebSocket from 'ws';

export interface GeneratorTask {
  readonly target: 'kaif' | 'ws' | 'socketio';
  readonly url: string;
  /** One entry per connection: its room (chat id) and, for Kaif, the access token. */
  readonly connections: readonly { readonly room: string; readonly token?: string }[];
  readonly localAddresses: readonly string[];
}

export type GeneratorMessage =
  | { readonly kind: 'connected'; readonly count: number; readonly failed: number }
  | { readonly kind: 'report'; readonly deliveries: number; readonly latenciesMs: number[] };

const CONNECT_CONCURRENCY = 50;
let deliveries = 0;
let measuring = false;
const latencies: number[] = [];
const keepAlive: unknown[] = [];

function received(text: string): void {
  const match = /bench:(\d+):/.exec(text);
  if (!match || !measuring) return;
  deliveries++;
  latencies.push(Date.now() - Number(match[1]));
}

function connectOne(task: GeneratorTask, index: number): Promise<void> {
  const entry = task.connections[index]!;
  const localAddress = task.localAddresses[index % task.localAddresses.length]!;
  return new Promise<void>((resolve, reject) => {
    if (task.target === 'socketio') {
      const socket = socketIo(task.url, { transports: ['websocket'], reconnection: false, localAddress } as never);
      socket.on('connect', () => {
        socket.emit('join', entry.room);
        resolve();
      });
      socket.on('connect_error', reject);
      socket.on('message.new', (frame: { text: string }) => received(frame.text));
      keepAlive.push(socket);
      return;
    }
    const socket = new WebSocket(`${task.url}/ws`, { perMessageDeflate: false, localAddress });
    socket.on('error', reject);
    socket.on('open', () => {
      if (task.target === 'ws') {
        socket.send(JSON.stringify({ join: entry.room }));
        resolve();
      } else {
        socket.send(JSON.stringify({ type: 'auth', token: entry.token }));
      }
    });
    socket.on('message', (data) => {
      const text = data.toString();
      if (task.target === 'kaif' && text.startsWith('{"type":"ready"')) socket.send('{"type":"sync","since":null}');
      else if (task.target === 'kaif' && text.startsWith('{"type":"synced"')) resolve();
      else received(text);
    });
    socket.on('close', (code) => reject(new Error(`closed ${code}`)));
    keepAlive.push(socket);
  });
}

process.on('message', async (message: { kind: 'start'; task: GeneratorTask } | { kind: 'measure' } | { kind: 'report' } | { kind: 'exit' }) => {
  if (message.kind === 'start') {
    const { task } = message;
    let next = 0;
    let failed = 0;
    const worker = async () => {
      while (next < task.connections.length) {
        const index = next++;
        await connectOne(task, index).catch(() => failed++);
      }
    };
    await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker));
    process.send!({ kind: 'connected', count: task.connections.length - failed, failed } satisfies GeneratorMessage);
  } else if (message.kind === 'measure') {
    // Each measured phase (one offered rate of a ceiling run) counts from zero.
    deliveries = 0;
    latencies.length = 0;
    measuring = true;
  } else if (message.kind === 'report') {
    measuring = false;
    process.send!({ kind: 'report', deliveries, latenciesMs: latencies } satisfies GeneratorMessage);
  } else {
    process.exit(0);
  }
});
