import { connect } from 'node:net';
import { MsgpackFrameReader, JsonPacketReader } from '@kaif/protocol';

export interface RawExchange {
  /** Replies decoded in the framing the server picked from our first byte. */
  readonly replies: unknown[];
  /** Whether the server closed the connection within the wait. */
  readonly closed: boolean;
}

/**
 * Writes `bytes` on a fresh connection and reports what the server did
 * within `waitMs`: early, as soon as the server closes, so a generous wait
 * costs nothing where the server answers by closing.
 */
export function sendBytes(port: number, bytes: Uint8Array, waitMs = 500): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const first = bytes[0] ?? 0x20;
    const json = first === 0x7b || first === 0x20 || first === 0x0a || first === 0x0d || first === 0x09;
    const reader = json ? new JsonPacketReader() : new MsgpackFrameReader();
    const settle = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const replies = reader.drain().map((item) => (item.kind === 'packet' ? item.value : item));
      resolve({ replies, closed });
    };
    socket.on('data', (chunk) => reader.push(chunk));
    socket.on('error', () => {});
    socket.once('close', () => settle(true));
    socket.once('connect', () => socket.write(bytes));
    socket.once('error', reject);
    const timer = setTimeout(() => settle(false), waitMs);
  });
}
