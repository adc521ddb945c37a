/**
 * express-ws 5 (it bundles ws 7, not 8): it upgrades first and runs the route's middleware afterwards, so
 * its "auth hook" can only close the socket it already opened (policy violation), never answer 401.
 * No topics: the naive send loop.
 */
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import express, { type Express, type Request } from 'express';
import { type Arm, MAX_PAYLOAD, TOKEN, topicsFor } from './common.ts';
import { listen } from './listen.ts';
import { NaiveTopics } from './naive-topics.ts';
import { closeSpread, RESTART } from './spread.ts';

/** The part of a ws 7 WebSocket the arm uses (express-ws has no bundled types). */
interface Ws7 {
  send(data: string | Buffer, options?: { binary: boolean }): void;
  close(code?: number, reason?: string): void;
  on(event: 'message', listener: (data: Buffer | string) => void): void;
  on(event: 'close' | 'error', listener: () => void): void;
}
type WsMiddleware = (ws: Ws7, req: Request, next: () => void) => void;
interface WsInstance {
  app: Express & { ws(path: string, ...handlers: WsMiddleware[]): void };
  getWss(): { clients: Set<Ws7> };
}
const expressWs = createRequire(import.meta.url)('express-ws') as (
  app: Express,
  server: ReturnType<typeof createServer>,
  options: { wsOptions: object },
) => WsInstance;

export async function start(): Promise<Arm> {
  const base = express();
  const server = createServer(base);
  const { app, getWss } = expressWs(base, server, {
    wsOptions: { maxPayload: MAX_PAYLOAD, perMessageDeflate: false },
  });
  const topics = new NaiveTopics<Ws7>();
  let seq = 0;
  const join = (ws: Ws7, room: string | undefined) => {
    const joined = topicsFor(seq++, room);
    topics.join(ws, joined);
    ws.on('close', () => topics.leave(ws, joined));
    ws.on('error', () => {});
  };
  const echo: WsMiddleware = (ws) => {
    join(ws, undefined);
    // ws 7 hands text frames over as strings.
    ws.on('message', (data) => ws.send(data));
  };
  const requireToken: WsMiddleware = (ws, req, next) => {
    if (req.headers.authorization === TOKEN) next();
    else ws.close(1008);
  };
  app.ws('/echo', echo);
  app.ws('/auth', requireToken, echo);
  app.ws('/rooms/:room', (ws, req) => {
    const room = String(req.params.room);
    const topic = `room:${room}`;
    join(ws, room);
    ws.on('message', (data) => topics.publish(topic, data));
  });
  return {
    port: await listen(server),
    count: () => getWss().clients.size,
    publish: (topic, data) => topics.publish(topic, data),
    restart: (window) => {
      const all = [...getWss().clients];
      closeSpread(all, window, (ws) => ws.close(RESTART.code, RESTART.reason));
      return all.length;
    },
  };
}
