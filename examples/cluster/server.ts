/**
 * One app process of the cluster example: a chat page and `/rooms/:room`, with topics carried by Redis.
 * Run two or more of these on different ports with the same REDIS_URL; a message sent to a room on any
 * of them reaches the room's members on all of them. `start.ts` starts two (and Redis) with one command.
 */
import { createServer } from 'node:http';
import { createGate } from '@wsgate/core';
import { redisBroker } from '@wsgate/redis';

const port = Number(process.env.PORT ?? 3001);
const name = process.env.NODE_NAME ?? `node-${port}`;

const broker = redisBroker({
  url: process.env.REDIS_URL,
  // One prefix per app: several apps can share a Redis without hearing each other's rooms.
  prefix: 'cluster-example:',
});
// Fail fast on a wrong REDIS_URL rather than run as a lone node nobody else can hear.
await broker.ready();

// Each page talks to the node that served it, so the default 'same-origin' policy holds; behind a load
// balancer the nodes share one origin.
const gate = createGate({ broker });

gate.route('/rooms/:room', (session) => {
  const topic = `room:${session.params.room}`;
  session.subscribe(topic);
  gate.publish(topic, `${session.id.slice(0, 6)} joined on ${name}`);
  session.on('message', (message) => {
    if (typeof message === 'string') gate.publish(topic, `[${name}] ${message}`);
  });
  session.on('close', () => gate.publish(topic, `${session.id.slice(0, 6)} left ${name}`));
});

const page = (room: string) => `<!doctype html><meta charset="utf-8"><title>wsgate cluster: ${name}</title>
<h1>Room "${room}" on ${name}</h1><p>Open the other node too; both are in the same room.</p>
<form id="f"><input id="m" autofocus placeholder="say something"><button>send</button></form><ul id="log"></ul>
<script>
  const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/rooms/${room}');
  const log = (t) => { const li = document.createElement('li'); li.textContent = t; document.getElementById('log').prepend(li); };
  ws.onmessage = (e) => log(e.data);
  ws.onclose = (e) => log('closed ' + e.code);
  document.getElementById('f').onsubmit = (e) => { e.preventDefault(); const m = document.getElementById('m'); ws.send(m.value); m.value = ''; };
</script>`;

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page('lobby'));
});
gate.attach(server);
server.listen(port, '127.0.0.1', () =>
  console.log(`${name}: http://localhost:${port} (Redis ${broker.status})`),
);

const stop = async () => {
  await gate.close(); // closes the broker's Redis connections too
  server.close();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
