/**
 * The two baselines the gateway is measured against, each doing the same
 * fan-out: clients join a room, a sender posts `{room, text}`, the server
 * writes it to every socket in the room.
 *
 *   ws        a bare `ws` server that serializes once per message (the ceiling)
 *   socketio  Socket.IO with rooms (what a team would pick instead)
 *
 * Run as a child of fanout.ts: prints `{"port": n}` once listening.
 */
import { createServer } from 'node:http';
import { Server as SocketIoServer } from 'socket.io';
import { type WebSocket, WebSocketServer } from 'ws';

const kind = process.argv[2];
const http = createServer();

if (kind === 'ws') {
  const rooms = new Map<string, Set<WebSocket>>();
  const wss = new WebSocketServer({ server: http, path: '/ws', perMessageDeflate: false });
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { join?: string; room?: string; text?: string };
      if (frame.join) {
        const room = rooms.get(frame.join) ?? new Set();
        rooms.set(frame.join, room);
        room.add(socket);
        socket.once('close', () => room.delete(socket));
      } else if (frame.room) {
        const out = JSON.stringify({ type: 'message.new', room: frame.room, text: frame.text });
        for (const member of rooms.get(frame.room) ?? []) member.send(out);
      }
    });
  });
} else if (kind === 'socketio') {
  const io = new SocketIoServer(http, { perMessageDeflate: false, transports: ['websocket'] });
  io.on('connection', (socket) => {
    socket.on('join', (room: string) => void socket.join(room));
    socket.on('send', (frame: { room: string; text: string }) => {
      io.to(frame.room).emit('message.new', { room: frame.room, text: frame.text });
    });
  });
} else {
  throw new Error(`unknown baseline ${kind}; expected ws or socketio`);
}

http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
