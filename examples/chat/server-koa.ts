/**
 * The same chat on Koa: `pnpm --filter @wsgate/example-chat start:koa`. Pages, sign-in cookie, rooms and
 * protocol are shared with the Express entry (`src/`); only the routing below is Koa's. An upgrade runs
 * through this same middleware chain, so the sign-in check answers an anonymous socket with a 401 too.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createSecureServer, type Http2SecureServer, type Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { wsgate } from '@wsgate/koa';
import Koa, { type Context } from 'koa';
import { brokerFromEnv, DEV_SECRET } from './src/broker.js';
import { Chat, chatHistory } from './src/chat.js';
import { clientScript } from './src/client-script.js';
import { COOKIE, readName, signName } from './src/name-cookie.js';
import { chatContract, cleanName, isRoomName, SIGNED_OUT } from './src/protocol.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const secret = process.env.SESSION_SECRET ?? DEV_SECRET;
// Both set: HTTPS with HTTP/2 (and HTTP/1.1 on the same port); pages and WebSockets may share one connection.
const tls =
  process.env.TLS_CERT && process.env.TLS_KEY
    ? { cert: process.env.TLS_CERT, key: process.env.TLS_KEY }
    : undefined;
// CHAT_LOG_HTTP=1 prints each request's HTTP version and HTTP/2 connection (what the browser test checks).
const logHttp = process.env.CHAT_LOG_HTTP === '1';

const broker = await brokerFromEnv();
const app = new Koa();
// History for the rooms (resume, and the last messages for newcomers); wsgate.v1 for @wsgate/client.
const gate = wsgate<{ name: string }>(app, { history: chatHistory(), ...(broker ? { broker } : {}) });
const chat = new Chat(gate);

const files: Record<string, string> = { '/': 'index.html', '/chat.js': 'chat.js', '/chat.css': 'chat.css' };
async function sendFile(ctx: Context, file: string): Promise<void> {
  ctx.type = file.split('.').pop()!;
  ctx.body = await readFile(new URL(`./public/${file}`, import.meta.url));
}

if (logHttp) app.use(logRequest());

app.use(async (ctx, next) => {
  const file = files[ctx.path];
  if (ctx.method === 'GET' && file) return sendFile(ctx, file);
  if (ctx.method === 'GET' && ctx.path === '/vendor/wsgate-client.js') {
    ctx.type = 'js';
    ctx.body = await clientScript();
    return;
  }
  if (ctx.method === 'POST' && ctx.path === '/login') {
    const form = new URLSearchParams(await readBody(ctx, 2_048));
    const name = cleanName(form.get('name'));
    const asked = (form.get('room') ?? '').toLowerCase();
    const room = isRoomName(asked) ? asked : 'lobby';
    ctx.status = 303;
    if (!name) return ctx.redirect(`/?room=${room}&error=name`);
    ctx.cookies.set(COOKIE, signName(name, secret), { httpOnly: true, sameSite: 'lax', maxAge: 7 * 864e5 });
    return ctx.redirect(`/rooms/${room}`);
  }
  if (ctx.method === 'POST' && ctx.path === '/logout') {
    // Every tab signs out: the user's other sockets close with SIGNED_OUT (the page then shows the sign-in).
    const name = readName(ctx.get('cookie'), secret);
    if (name !== undefined) gate.sessions.closeWhere((s) => s.user?.name === name, SIGNED_OUT, 'signed out');
    ctx.cookies.set(COOKIE, null);
    ctx.status = 303;
    return ctx.redirect('/');
  }
  await next();
});

// Everything below needs a signed-in name: pages, /api/me and the room sockets alike.
app.use(async (ctx, next) => {
  if (ctx.path === '/echo') return next();
  const name = readName(ctx.get('cookie'), secret);
  if (name === undefined) {
    if (ctx.ws || ctx.path.startsWith('/api/')) ctx.throw(401, 'sign in first');
    return ctx.redirect('/');
  }
  ctx.state.user = { name }; // becomes session.user
  await next();
});

app.use(async (ctx, next) => {
  if (ctx.path === '/api/me') {
    ctx.body = ctx.state.user;
    return;
  }
  const [, kind, room] = /^\/(rooms|ws\/rooms)\/([^/]+)$/.exec(ctx.path) ?? [];
  if (!kind || !room) return next();
  if (!isRoomName(room)) ctx.throw(404, 'no such room');
  if (kind === 'rooms') return sendFile(ctx, 'room.html');
  if (!ctx.ws) return ctx.throw(426, 'this is a WebSocket endpoint');
  // The contract validates frames; wsgate.v1 when the page offers it (@wsgate/client does).
  const session = await ctx.ws<{ name: string }, typeof chatContract & { protocols: string[] }>({
    ...chatContract,
    protocols: ['wsgate.v1'],
  });
  chat.join(session, room, ctx.state.user.name);
});

gate.ws('/echo', (session) => {
  session.on('message', (message) => session.send(message));
});

/** Reads a small request body (a form), refusing more than `limit` bytes. */
async function readBody(ctx: Context, limit: number): Promise<string> {
  let body = '';
  for await (const chunk of ctx.req) {
    body += chunk;
    if (body.length > limit) ctx.throw(413);
  }
  return body;
}

/**
 * One line per request: `http <version> <method> <path> <connection>`, where the connection numbers the
 * HTTP/2 session a request came on (`-` over HTTP/1.1). A WebSocket over HTTP/2 is an extended CONNECT
 * (RFC 8441), logged as `CONNECT`; its socket is wsgate's adapter around the stream.
 */
function logRequest() {
  const ids = new WeakMap<Http2Session, number>();
  let sessions = 0;
  return async (ctx: Context, next: () => Promise<unknown>) => {
    const req = ctx.req as {
      stream?: { session?: Http2Session };
      socket: { stream?: { session?: Http2Session } };
    };
    const session = req.stream?.session ?? req.socket.stream?.session;
    if (session && !ids.has(session)) ids.set(session, ++sessions);
    const id = session ? ids.get(session) : '-';
    // wsgate hands an HTTP/2 request to the app as a WebSocket only for an extended CONNECT; it shows as a GET.
    const method = ctx.ws && ctx.req.httpVersion === '2.0' ? 'CONNECT' : ctx.method;
    console.log(`http ${ctx.req.httpVersion} ${method} ${ctx.path} ${id}`);
    await next();
  };
}

let server: Server | Http2SecureServer;
if (tls) {
  // Koa on Node's http2 compatibility API; wsgate turns on extended CONNECT (RFC 8441) for it.
  const h2 = createSecureServer(
    { cert: readFileSync(tls.cert), key: readFileSync(tls.key), allowHTTP1: true },
    app.callback(),
  );
  gate.attach(h2);
  server = h2.listen(port, host, () => announce('https'));
} else {
  server = app.listen(port, host, () => announce('http')); // hooked by wsgate: upgrades go through the app
}
function announce(scheme: string): void {
  console.log(`wsgate chat (Koa) on ${scheme}://localhost:${(server.address() as AddressInfo).port}`);
}
const stop = async () => {
  chat.close();
  await gate.close();
  server.close();
  if ('closeIdleConnections' in server) server.closeIdleConnections();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
