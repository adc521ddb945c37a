/** @fastify/websocket (ws 8 inside): no topics, so the naive send loop; auth is a route `onRequest` hook. */
import { createRequire } from 'node:module';
import Fastify, { type FastifyPluginCallback, type FastifyRequest, type onRequestHookHandler } from 'fastify';
import type { WebSocket } from 'ws';
import { type Arm, MAX_PAYLOAD, TOKEN, topicsFor } from './common.ts';
import { NaiveTopics } from './naive-topics.ts';
import { closeSpread, RESTART } from './spread.ts';

// Loaded without its types on purpose: @fastify/websocket augments Fastify's route types globally, which
// would change how `websocket: true` routes type-check for @wsgate/fastify in the same tsc program.
const fastifyWebsocket = createRequire(import.meta.url)('@fastify/websocket') as FastifyPluginCallback<{
  options: object;
}>;
type WsRoute = (ws: WebSocket, req: FastifyRequest<{ Params: { room: string } }>) => void;

export async function start(): Promise<Arm> {
  const app = Fastify({ logger: false });
  await app.register(fastifyWebsocket, { options: { maxPayload: MAX_PAYLOAD, perMessageDeflate: false } });
  const topics = new NaiveTopics<WebSocket>();
  let seq = 0;
  const join = (ws: WebSocket, room: string | undefined) => {
    const joined = topicsFor(seq++, room);
    topics.join(ws, joined);
    ws.on('close', () => topics.leave(ws, joined));
  };
  const echo = (ws: WebSocket) => {
    join(ws, undefined);
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
  };
  const requireToken: onRequestHookHandler = (req, reply, done) => {
    if (req.headers.authorization === TOKEN) done();
    else reply.code(401).send();
  };
  const room: WsRoute = (ws, req) => {
    const topic = `room:${req.params.room}`;
    join(ws, req.params.room);
    ws.on('message', (data, isBinary) => topics.publish(topic, data as Buffer, isBinary));
  };
  // With @fastify/websocket, a `websocket: true` route's handler receives (socket, request).
  const route = (url: string, handler: WsRoute, onRequest?: onRequestHookHandler) =>
    app.route({
      method: 'GET',
      url,
      websocket: true,
      ...(onRequest ? { onRequest } : {}),
      handler: handler as never,
    } as never);
  route('/echo', echo);
  route('/auth', echo, requireToken);
  route('/rooms/:room', room);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const clients = () =>
    (app as unknown as { websocketServer: { clients: Set<WebSocket> } }).websocketServer.clients;
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    count: () => clients().size,
    publish: (topic, data) => topics.publish(topic, data),
    restart: (window) => {
      const all = [...clients()];
      closeSpread(all, window, (ws) => ws.close(RESTART.code, RESTART.reason));
      return all.length;
    },
  };
}
