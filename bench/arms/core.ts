/** wsgate core on a plain http.Server; the auth hook is the gate's own `authenticate`. */
import { createServer } from 'node:http';
import { createGate } from '@wsgate/core';
import { type Arm, GATE_OPTIONS, TOKEN } from './common.ts';
import { listen } from './listen.ts';
import { handlers, restartSessions } from './wsgate-handlers.ts';

export async function start(): Promise<Arm> {
  const gate = createGate(GATE_OPTIONS);
  const h = handlers(gate);
  gate.route('/echo', (s) => h.echo(s));
  gate.route(
    '/auth',
    { authenticate: (req) => (req.headers.authorization === TOKEN ? { id: 'bench' } : undefined) },
    (s) => h.echo(s),
  );
  gate.route('/rooms/:room', (s) => h.room(s, s.params.room ?? ''));
  const server = createServer((_req, res) => res.end());
  gate.attach(server);
  return {
    port: await listen(server),
    count: () => gate.sessions.size,
    publish: (topic, data) => gate.publish(topic, data),
    restart: (window) => restartSessions(gate, window),
  };
}
