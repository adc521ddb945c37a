/** The reference: ws with noServer on the server's 'upgrade' event, the usual hand-written app. */
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Arm, MAX_PAYLOAD, TOKEN, topicsFor } from './common.ts';
import { listen } from './listen.ts';
import { NaiveTopics } from './naive-topics.ts';
import { closeSpread, RESTART } from './spread.ts';

function refuse(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export async function start(): Promise<Arm> {
  const server = createServer((_req, res) => res.end());
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD, perMessageDeflate: false });
  const topics = new NaiveTopics<WebSocket>();
  let seq = 0;
  let open = 0;
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    const url = req.url ?? '';
    let room: string | undefined;
    if (url.startsWith('/rooms/')) room = url.slice(7);
    else if (url === '/auth') {
      if (req.headers.authorization !== TOKEN) return refuse(socket, '401 Unauthorized');
    } else if (url !== '/echo') return refuse(socket, '404 Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => {
      open++;
      const joined = topicsFor(seq++, room);
      topics.join(ws, joined);
      if (room === undefined)
        ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
      else {
        const topic = `room:${room}`;
        ws.on('message', (data, isBinary) => topics.publish(topic, data as Buffer, isBinary));
      }
      ws.on('error', () => {});
      ws.on('close', () => {
        open--;
        topics.leave(ws, joined);
      });
    });
  });
  return {
    port: await listen(server),
    count: () => open,
    publish: (topic, data) => topics.publish(topic, data),
    restart: (window) => {
      const all = [...wss.clients];
      closeSpread(all, window, (ws) => ws.close(RESTART.code, RESTART.reason));
      return all.length;
    },
  };
}
