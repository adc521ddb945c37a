/** @wsgate/koa: upgrades go through Koa's middleware chain; the auth hook is a route middleware. */
import { createServer } from 'node:http';
import { wsgate } from '@wsgate/koa';
import Koa, { type Middleware } from 'koa';
import { type Arm, GATE_OPTIONS, TOKEN } from './common.ts';
import { listen } from './listen.ts';
import { handlers, restartSessions } from './wsgate-handlers.ts';

export async function start(): Promise<Arm> {
  const app = new Koa();
  const gate = wsgate(app, GATE_OPTIONS);
  const h = handlers(gate);
  const requireToken: Middleware = async (ctx, next) => {
    if (ctx.get('authorization') !== TOKEN) ctx.throw(401);
    await next();
  };
  gate.ws('/echo', (s) => h.echo(s));
  gate.ws('/auth', requireToken, (s) => h.echo(s));
  gate.ws('/rooms/:room', (s) => h.room(s, s.params.room ?? ''));
  const server = createServer(app.callback());
  gate.attach(server);
  return {
    port: await listen(server),
    count: () => gate.sessions.size,
    publish: (topic, data) => gate.publish(topic, data),
    restart: (window) => restartSessions(gate, window),
  };
}
