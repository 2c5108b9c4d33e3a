/**
 * A push service stand-in for the bench, in its own process so its HTTP
 * work is not on the server's event loop (a real push service is remote):
 * answers every POST with 201, counts them, and tells the count at GET
 * /count. Prints its port on stdout once listening.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

let pushes = 0;
const server = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    if (request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end(String(pushes));
      return;
    }
    pushes++;
    response.writeHead(201).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log((server.address() as AddressInfo).port));
