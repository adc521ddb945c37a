/**
 * wsgate + Express: the app's own session middleware decides who may open a WebSocket, before the
 * handshake. Log in with a name, then chat in rooms; anonymous upgrades get the middleware's 401.
 */
import { wsgate } from '@wsgate/express';
import express, { type RequestHandler } from 'express';
import session from 'express-session';
import * as z from 'zod';

declare module 'express-session' {
  interface SessionData {
    name: string;
  }
}

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

const app = express();
const gate = wsgate(app);

app.use(express.urlencoded({ extended: false }));
app.use(
  session({
    secret: process.env.SESSION_SECRET ?? 'change me',
    resave: false,
    saveUninitialized: false,
    // rolling: the refreshed cookie also goes out on the 101 of the WebSocket handshake.
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: 60 * 60 * 1000 },
  }),
);

const requireLogin: RequestHandler = (req, res, next) => {
  if (req.session.name) return next();
  // A WebSocket cannot follow a redirect: tell it 401, send browsers to the login form.
  if (req.ws) res.status(401).json({ error: 'log in first' });
  else res.redirect('/');
};

app.post('/login', (req, res) => {
  const name = String(req.body?.name ?? '')
    .trim()
    .slice(0, 32);
  if (!name) return res.redirect('/');
  req.session.name = name;
  res.redirect('/rooms/lobby');
});

// One path, two answers: the page for a browser GET, the WebSocket for an upgrade (app.ws routes only
// take upgrades, so the page handler below sees every plain GET).
app.ws('/rooms/:room', requireLogin, (s, req) => {
  const topic = `room:${req.params.room}`;
  const name = req.session.name ?? 'someone';
  s.subscribe(topic);
  s.publish(topic, `${name} joined`);
  s.on('message', (m) => gate.publish(topic, `${name}: ${String(m)}`));
  s.on('close', () => gate.publish(topic, `${name} left`));
});

// A JSON route with a contract: wsgate parses and validates every frame against the zod schema, so the
// handler gets `{ sides: number }`; `s.send` takes only `{ roll: number }`. Try it with
// `npx wscat -c ws://localhost:3000/dice` (after logging in) and send {"sides":6}; {"sides":1} closes 1007.
app.ws(
  '/dice',
  { message: z.object({ sides: z.number().int().min(2).max(100) }), send: z.object({ roll: z.number() }) },
  requireLogin,
  (s) => {
    s.on('message', ({ sides }) => s.send({ roll: 1 + Math.floor(Math.random() * sides) }));
  },
);

app.get('/rooms/:room', requireLogin, (req, res) => {
  res.type('html').send(roomPage(String(req.params.room), req.session.name ?? ''));
});

app.get('/', (_req, res) => {
  res.type('html').send(`<!doctype html><meta charset="utf-8"><title>wsgate + Express</title>
<h1>wsgate + Express</h1><form method="post" action="/login">
<input name="name" placeholder="your name" autofocus required><button>log in</button></form>`);
});

const server = app.listen(port, host, () => {
  console.log(`wsgate + Express on http://${host}:${port}`);
});

const stop = async () => {
  await gate.close();
  server.close();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

function roomPage(room: string, name: string): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><meta charset="utf-8"><title>#${esc(room)}</title>
<h1>#${esc(room)}</h1><p>you are ${esc(name)} · <span id="state">connecting…</span></p>
<form id="f"><input id="m" autofocus placeholder="message"><button>send</button></form><ul id="log"></ul>
<script>
  const ws = new WebSocket(location.href.replace(/^http/, 'ws'));
  const log = (t) => { const li = document.createElement('li'); li.textContent = t; document.getElementById('log').prepend(li); };
  ws.onopen = () => (document.getElementById('state').textContent = 'connected');
  ws.onclose = (e) => (document.getElementById('state').textContent = 'closed ' + e.code);
  ws.onmessage = (e) => log(e.data);
  document.getElementById('f').onsubmit = (e) => { e.preventDefault(); const m = document.getElementById('m'); ws.send(m.value); m.value = ''; };
</script>`;
}
