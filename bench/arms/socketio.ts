/**
 * socket.io 4 with the websocket transport only. Its rooms are the topics; the auth hook is `io.use`
 * (socket.io's idiom, which runs after the WebSocket handshake, on the namespace connect packet).
 * The route is the `mode` query parameter, since everything lives under /socket.io/.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { type Arm, KEEPALIVE_MS, MAX_PAYLOAD, SLOWED, TOKEN, topicsFor } from './common.ts';
import { listen } from './listen.ts';
import { closeSpread } from './spread.ts';

export async function start(): Promise<Arm> {
  const server = createServer((_req, res) => res.end());
  const io = new Server(server, {
    transports: ['websocket'],
    serveClient: false,
    perMessageDeflate: false,
    maxHttpBufferSize: MAX_PAYLOAD,
    pingInterval: KEEPALIVE_MS,
    pingTimeout: 20_000 * SLOWED,
  });
  let seq = 0;
  io.use((socket, next) => {
    if (socket.handshake.query.mode !== 'auth' || socket.handshake.headers.authorization === TOKEN) next();
    else next(new Error('unauthorized'));
  });
  io.on('connection', (socket) => {
    const room = socket.handshake.query.mode === 'room' ? String(socket.handshake.query.room) : undefined;
    socket.join(topicsFor(seq++, room));
    if (room === undefined) socket.on('m', (data: unknown) => socket.emit('m', data));
    else {
      const topic = `room:${room}`;
      socket.on('m', (data: unknown) => io.to(topic).emit('m', data));
    }
  });
  return {
    port: await listen(server),
    count: () => io.engine.clientsCount,
    publish: (topic, data) => io.to(topic).emit('m', data),
    // What io.close() does to each client, without closing the server: the engine.io connection closes
    // (its WebSocket with no code: engine.io has no restart code) and the client reconnects.
    restart: (window) => {
      const all = [...io.of('/').sockets.values()];
      closeSpread(all, window, (socket) => socket.conn.close());
      return all.length;
    },
  };
}
