import { createSocket } from 'node:dgram';

/**
 * Sends one datagram and collects what comes back: every request is
 * answered by at most one datagram, so this returns soon after the first
 * reply (a loaded host may take well over a second), or after `waitMs` with
 * nothing when none came.
 */
export async function exchangeDatagram(port: number, datagram: string | Uint8Array, waitMs = 3_000): Promise<Buffer[]> {
  const socket = createSocket('udp4');
  const replies: Buffer[] = [];
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  await new Promise<void>((resolve) => {
    const deadline = setTimeout(resolve, waitMs);
    socket.on('message', (reply) => {
      replies.push(reply);
      // A little longer, so a second reply (which would be a bug) is seen too.
      clearTimeout(deadline);
      setTimeout(resolve, 100);
    });
    socket.send(datagram, port, '127.0.0.1');
  });
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
