/**
 * A Fastify app with a chat page and its WebSocket on the same path. The socket route has a hook and a
 * schema: both run before the handshake, so a missing name is a 401 and a bad room a 400, over HTTP.
 *
 *   node --conditions=@wsgate/source --import tsx examples/fastify-basic/server.ts
 */
import { wsgate } from '@wsgate/fastify';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import * as v from 'valibot';

const app = Fastify({ logger: true });
await app.register(wsgate, { heartbeat: { interval: 15_000, timeout: 5_000 } });

// A stand-in for real auth (@fastify/jwt, a session plugin): it answers before any 101.
async function requireName(request: FastifyRequest<{ Querystring: { name?: string } }>, reply: FastifyReply) {
  if (!request.query.name) return reply.code(401).send({ error: 'add ?name=you' });
}

app.route<{ Params: { room: string }; Querystring: { name: string } }>({
  method: 'GET',
  url: '/rooms/:room',
  schema: {
    params: { type: 'object', properties: { room: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' } } },
  },
  // A browser visiting the URL gets the page; the page's WebSocket to the same URL gets the socket.
  handler: (_request, reply) => reply.type('text/html').send(PAGE),
  preHandler: async (request, reply) => {
    if (request.ws) return requireName(request, reply);
  },
  wsHandler: (session, request) => {
    const { room } = request.params;
    const { name } = request.query;
    const topic = `room:${room}`;
    session.subscribe(topic);
    session.publish(topic, `${name} joined`);
    session.send(`welcome to ${room}, ${name} (${app.wsgate.topicMembers(topic).size} here)`);
    session.on('message', (text) => {
      if (typeof text === 'string') app.wsgate.publish(topic, `${name}: ${text.slice(0, 500)}`);
    });
    session.on('close', () => app.wsgate.publish(topic, `${name} left`));
  },
});

// A JSON route with a contract in Fastify's route options (`ws: { message }`), here a valibot schema: every
// frame is parsed and validated before the handler, which gets `{ sides: number }`. A refused value gets an
// error reply (`onInvalid: 'reply'`); text that is not JSON closes with 1007.
app.ws(
  '/dice',
  {
    ws: { message: v.object({ sides: v.pipe(v.number(), v.integer(), v.minValue(2)) }), onInvalid: 'reply' },
  },
  (session) => {
    session.on('message', ({ sides }) => session.sendJson({ roll: 1 + Math.floor(Math.random() * sides) }));
  },
);

app.get('/', (_request, reply) => reply.redirect('/rooms/lobby'));

const PAGE = `<!doctype html><meta charset="utf-8"><title>wsgate + Fastify</title>
<ul id="log"></ul><form><input id="text" autocomplete="off" placeholder="say something"></form>
<script>
  const name = prompt('Your name?') || 'guest';
  const url = location.href.replace(/^http/, 'ws').split('?')[0] + '?name=' + encodeURIComponent(name);
  const ws = new WebSocket(url);
  const add = (t) => { const li = document.createElement('li'); li.textContent = t; log.append(li); };
  ws.onmessage = (e) => add(e.data);
  ws.onclose = (e) => add('closed ' + e.code);
  document.querySelector('form').onsubmit = (e) => { e.preventDefault(); ws.send(text.value); text.value = ''; };
</script>`;

await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // Sessions get a 1001 in preClose, then the server closes.
  process.once(signal, () => void app.close());
}
