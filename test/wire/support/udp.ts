import { createSocket } from 'node:dgram';

/** Sends one datagram and collects what comes back within `waitMs`. */
export async function exchangeDatagram(port: number, datagram: string | Uint8Array, waitMs = 500): Promise<Buffer[]> {
  const socket = createSocket('udp4');
  const replies: Buffer[] = [];
  socket.on('message', (reply) => replies.push(reply));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  socket.send(datagram, port, '127.0.0.1');
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  socket.close();
  return replies;
}

/** Sends datagrams from one source port and collects the replies that arrive within `waitMs` of the last. */
export async function burstDatagrams(port: number, datagrams: readonly (string | Uint8Array)[], waitMs = 500): Promise<Buffer[]> {
  const socket = createSocket('udp4');
  const replies: Buffer[] = [];
  socket.on('message', (reply) => replies.push(reply));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  for (const datagram of datagrams) socket.send(datagram, port, '127.0.0.1');
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  socket.close();
  return replies;
}

export function json(reply: Buffer): Record<string, unknown> {
  return JSON.parse(reply.toString('utf8')) as Record<string, unknown>;
}
