/** @wsgate/fastify: upgrades go through Fastify's router; the auth hook is a route `onRequest` hook. */
import wsgate from '@wsgate/fastify';
import Fastify, { type onRequestHookHandler } from 'fastify';
import { type Arm, GATE_OPTIONS, TOKEN } from './common.ts';
import { handlers, restartSessions } from './wsgate-handlers.ts';

export async function start(): Promise<Arm> {
  const app = Fastify({ logger: false });
  await app.register(wsgate, GATE_OPTIONS);
  const h = handlers(app.wsgate);
  const requireToken: onRequestHookHandler = (req, reply, done) => {
    if (req.headers.authorization === TOKEN) done();
    else reply.code(401).send();
  };
  app.ws('/echo', {}, (s) => h.echo(s));
  app.ws('/auth', { onRequest: requireToken }, (s) => h.echo(s));
  app.ws<{ Params: { room: string } }>('/rooms/:room', {}, (s, req) => h.room(s, req.params.room));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    count: () => app.wsgate.sessions.size,
    publish: (topic, data) => app.wsgate.publish(topic, data),
    restart: (window) => restartSessions(app.wsgate, window),
  };
}
