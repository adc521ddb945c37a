/** @wsgate/express: upgrades go through Express 5's router; the auth hook is a route middleware. */
import { createServer } from 'node:http';
import { wsgate } from '@wsgate/express';
import express, { type RequestHandler } from 'express';
import { type Arm, GATE_OPTIONS, TOKEN } from './common.ts';
import { listen } from './listen.ts';
import { handlers, restartSessions } from './wsgate-handlers.ts';

export async function start(): Promise<Arm> {
  const app = express();
  const gate = wsgate(app, GATE_OPTIONS);
  const h = handlers(gate);
  const requireToken: RequestHandler = (req, res, next) => {
    if (req.headers.authorization === TOKEN) next();
    else res.status(401).end();
  };
  app.ws('/echo', (s) => h.echo(s));
  app.ws('/auth', requireToken, (s) => h.echo(s));
  app.ws('/rooms/:room', (s, req) => h.room(s, req.params.room));
  const server = createServer(app);
  gate.attach(server);
  return {
    port: await listen(server),
    count: () => gate.sessions.size,
    publish: (topic, data) => gate.publish(topic, data),
    restart: (window) => restartSessions(gate, window),
  };
}
