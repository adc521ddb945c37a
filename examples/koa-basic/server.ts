/**
 * A Koa app with a login (koa-session), a chat page and its WebSocket on the same @koa/router route,
 * and an `app.ws` feed. The session check is ordinary Koa middleware: it runs before the handshake, so
 * a client that has not logged in gets an HTTP 401, never a 101.
 *
 *   node --conditions=@wsgate/source --import tsx examples/koa-basic/server.ts
 */
import Router from '@koa/router';
import { wsgate } from '@wsgate/koa';
import { type } from 'arktype';
import Koa from 'koa';
import session from 'koa-session';

interface User {
  name: string;
}

const app = new Koa();
app.keys = [process.env.SESSION_KEY ?? 'change-me-in-production'];
const gate = wsgate<User>(app, { heartbeat: { interval: 15_000, timeout: 5_000 } });

app.use(session(app));

const router = new Router();
router.get('/', (ctx) => {
  ctx.type = 'html';
  ctx.body = LOGIN;
});
router.get('/login', (ctx) => {
  const name = String(ctx.query.name ?? '').slice(0, 32);
  if (!name) ctx.throw(400, 'add ?name=you');
  ctx.session!.user = { name };
  ctx.redirect('/rooms/lobby');
});

// The auth gate for everything below: WebSocket upgrades included, since they run this same chain.
app.use(async (ctx, next) => {
  if (ctx.path === '/' || ctx.path === '/login') return next();
  const user = ctx.session?.user as User | undefined;
  if (!user) {
    // A browser page goes to the login form; a WebSocket upgrade gets a plain 401.
    if (ctx.ws) ctx.throw(401, 'log in first');
    return ctx.redirect('/');
  }
  ctx.state.user = user;
  await next();
});

// A browser visiting the URL gets the page; the page's WebSocket to the same URL gets the socket.
router.get('/rooms/:room', async (ctx) => {
  const room = ctx.params.room ?? '';
  if (!/^[a-z0-9-]{1,32}$/.test(room)) ctx.throw(400, 'bad room name');
  if (!ctx.ws) {
    ctx.type = 'html';
    ctx.body = PAGE;
    return;
  }
  const s = await ctx.ws<User>();
  const name = s.user?.name ?? 'guest';
  const topic = `room:${room}`;
  s.subscribe(topic);
  s.publish(topic, `${name} joined`);
  s.send(`welcome to ${room}, ${name} (${gate.topicMembers(topic).size} here)`);
  s.on('message', (text) => {
    if (typeof text === 'string') gate.publish(topic, `${name}: ${text.slice(0, 500)}`);
  });
  s.on('close', () => gate.publish(topic, `${name} left`));
});

app.use(router.routes());

// `app.ws` routes are matched after the chain above (so they are behind the session check too).
// In TypeScript, `gate.ws` is the typed spelling of `app.ws`.
// The clock takes `{"every": ms}` to change its pace, declared as an arktype schema (the route's `message`
// option): wsgate validates every frame, so the handler gets `{ every: number }`. Anything else closes with
// 1007 (not JSON, or refused) or 1003 (binary).
gate.ws('/clock', { message: type({ every: '100 <= number.integer <= 60000' }) }, (s) => {
  const tick = () => s.sendJson({ now: new Date().toISOString(), user: s.user?.name });
  let timer = setInterval(tick, 1_000);
  s.on('message', ({ every }) => {
    clearInterval(timer);
    timer = setInterval(tick, every);
  });
  s.on('close', () => clearInterval(timer));
});

const LOGIN = `<!doctype html><meta charset="utf-8"><title>wsgate + Koa</title>
<form action="/login"><input name="name" placeholder="your name" autofocus><button>join</button></form>`;

const PAGE = `<!doctype html><meta charset="utf-8"><title>wsgate + Koa</title>
<ul id="log"></ul><form><input id="text" autocomplete="off" placeholder="say something"></form>
<script>
  const ws = new WebSocket(location.href.replace(/^http/, 'ws'));
  const add = (t) => { const li = document.createElement('li'); li.textContent = t; log.append(li); };
  ws.onmessage = (e) => add(e.data);
  ws.onclose = (e) => add('closed ' + e.code);
  document.querySelector('form').onsubmit = (e) => { e.preventDefault(); ws.send(text.value); text.value = ''; };
</script>`;

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const server = app.listen(port, host, () => {
  const address = server.address();
  console.log(`listening on http://${host}:${typeof address === 'object' ? address?.port : port}`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    await gate.close(); // every session gets 1001, then nothing of wsgate holds the process
    server.close();
  });
}
