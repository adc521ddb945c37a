/**
 * The smallest wsgate app: core alone on a plain http.Server. Run it from the repository root with
 * `pnpm --filter @wsgate/example-echo start`, then open http://localhost:3000 for a page that talks to
 * ws://localhost:3000/echo. PORT (3000) and HOST (127.0.0.1: this machine only) come from the environment.
 */
import { createServer } from 'node:http';
import { createGate } from '@wsgate/core';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

const gate = createGate({
  // Browsers send Origin; the default 'same-origin' policy admits pages served by this server only.
  origins: 'same-origin',
});

gate.route('/echo', (session) => {
  session.on('message', (message) => session.send(message));
});

gate.route('/rooms/:room', (session) => {
  const topic = `room:${session.params.room}`;
  session.subscribe(topic);
  session.on('message', (message) => session.publish(topic, message));
});

const page = `<!doctype html><meta charset="utf-8"><title>wsgate echo</title>
<h1>wsgate echo</h1><p id="state">connecting…</p>
<form id="f"><input id="m" autofocus placeholder="say something"><button>send</button></form><ul id="log"></ul>
<script>
  const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/echo');
  const log = (t) => { const li = document.createElement('li'); li.textContent = t; document.getElementById('log').prepend(li); };
  ws.onopen = () => (document.getElementById('state').textContent = 'connected');
  ws.onclose = (e) => (document.getElementById('state').textContent = 'closed ' + e.code);
  ws.onmessage = (e) => log('echo: ' + e.data);
  document.getElementById('f').onsubmit = (e) => { e.preventDefault(); const m = document.getElementById('m'); ws.send(m.value); m.value = ''; };
</script>`;

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
});
gate.attach(server);
server.listen(port, host, () => {
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  console.log(`wsgate echo on http://localhost:${actual} (ws://localhost:${actual}/echo)`);
});

const stop = async () => {
  await gate.close();
  server.close();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
