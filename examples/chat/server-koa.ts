/**
 * The same chat on Koa: `pnpm --filter @wsgate/example-chat start:koa`. Pages, sign-in cookie, rooms and
 * protocol are shared with the Express entry (`src/`); only the routing below is Koa's. An upgrade runs
 * through this same middleware chain, so the sign-in check answers an anonymous socket with a 401 too.
 */
import { readFile } from 'node:fs/promises';
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

const server = app.listen(port, host, () => console.log(`wsgate chat (Koa) on http://localhost:${port}`));
const stop = async () => {
  chat.close();
  await gate.close();
  server.close();
  server.closeIdleConnections();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
