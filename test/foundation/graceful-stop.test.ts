import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startTestServer } from '../support/test-server.js';

describe('graceful stop', () => {
  it('finishes a request in flight when it stops, closes its keep-alive connection, and stops without waiting for that connection to time out', async () => {
    const server = await startTestServer();
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    const closed = new Promise((resolve) => socket.once('close', resolve));
    // A keep-alive request whose body has not all arrived yet: busy when the stop begins.
    const body = JSON.stringify({ username: 'ann_drain', password: 'not-the-password-1' });
    socket.write(
      `POST /api/v1/auth/login HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: keep-alive\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
    );
    socket.write(body.slice(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 200));

    const started = Date.now();
    const stopped = server.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.write(body.slice(10));
    await stopped;
    await closed;

    expect(answer).toMatch(/^HTTP\/1\.1 \d{3} /);
    expect(answer.toLowerCase()).toContain('connection: close');
    // Without closing it, the connection would hold the stop for Fastify's 72 s keep-alive timeout.
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 60_000);
});
