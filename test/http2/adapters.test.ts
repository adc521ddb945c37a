import { once } from 'node:events';
import { createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { wsgate as fastifyWsgate } from '@wsgate/fastify';
import { wsgate as koaWsgate } from '@wsgate/koa';
import Fastify from 'fastify';
import Koa from 'koa';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nextMessage, openClient } from '../support/ws.ts';
import { h2Connect, openWebSocket, testCertificate } from './h2-peer.ts';

let tls: { key: Buffer; cert: Buffer };
beforeAll(() => {
  tls = testCertificate();
});
const toClose: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c();
});

/** A started app: its HTTPS URL and port (HTTP/2 and HTTP/1.1 on one port). */
interface App {
  url: string;
  port: number;
}

/** Fastify with `http2: true, https: { allowHTTP1 }`: a hook guards `/private`, a route echoes. */
async function fastifyApp(): Promise<App> {
  const app = Fastify({ http2: true, https: { ...tls, allowHTTP1: true } });
  await app.register(fastifyWsgate, { heartbeat: false });
  app.addHook('onRequest', async (request, reply) => {
    if (request.url === '/streamed') return reply.code(403).send(Readable.from(['not ', 'yours']));
    if (request.url.startsWith('/private') && request.headers.authorization !== 'Bearer ok')
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'no token' });
  });
  const echo = (s: { on: Function; send: Function }) => s.on('message', (m: unknown) => s.send(m));
  app.ws('/echo/:room', {}, (session) => echo(session as never));
  app.ws('/private/echo', {}, (session) => echo(session as never));
  app.get('/', async () => 'page');
  await app.listen({ port: 0, host: '127.0.0.1' });
  toClose.push(() => app.close());
  const { port } = app.server.address() as AddressInfo;
  return { url: `https://127.0.0.1:${port}`, port };
}

/** Koa on `http2.createSecureServer(app.callback())`: a middleware guards `/private`, `app.ws` echoes. */
async function koaApp(): Promise<App> {
  const app = new Koa();
  app.silent = true;
  const gate = koaWsgate(app, { heartbeat: false });
  app.use(async (ctx, next) => {
    if (ctx.path === '/') ctx.body = 'page';
    if (ctx.path === '/streamed') {
      ctx.status = 403;
      ctx.body = Readable.from(['not ', 'yours']);
      return;
    }
    if (ctx.path.startsWith('/private') && ctx.get('authorization') !== 'Bearer ok') {
      // Koa's error handler keeps only the headers the error carries.
      ctx.throw(401, 'no token', { headers: { 'www-authenticate': 'Bearer' } });
    }
    await next();
  });
  const echo = (s: { on: Function; send: Function }) => s.on('message', (m: unknown) => s.send(m));
  gate.ws('/echo/:room', {}, (session) => echo(session as never));
  gate.ws('/private/echo', {}, (session) => echo(session as never));
  const server = createSecureServer({ ...tls, allowHTTP1: true }, app.callback());
  gate.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  toClose.push(async () => {
    await gate.close({ timeout: 500 });
    await new Promise((r) => server.close(r));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `https://127.0.0.1:${port}`, port };
}

for (const [name, start] of [
  ['fastify', fastifyApp],
  ['koa', koaApp],
] as const) {
  describe(`${name} over HTTP/2 (RFC 8441)`, () => {
    it('routes an extended CONNECT through the framework and echoes over the stream', async () => {
      const app = await start();
      const session = await h2Connect(app.url, { ca: tls.cert });
      toClose.push(() => session.destroy());
      const res = await openWebSocket(session, '/echo/lobby');
      expect(res.status).toBe(200);
      res.peer!.send('hi over h2');
      expect(String((await res.peer!.next()).data)).toBe('hi over h2');
      res.peer!.close(1000);
      await res.peer!.ended;
    });

    it("answers with the framework's own refusals as HTTP/2 responses: its 404, a hook's 401", async () => {
      const app = await start();
      const session = await h2Connect(app.url, { ca: tls.cert });
      toClose.push(() => session.destroy());
      const missing = await openWebSocket(session, '/nowhere');
      expect(missing.status).toBe(404);
      const guarded = await openWebSocket(session, '/private/echo');
      expect(guarded.status).toBe(401);
      expect(guarded.headers['www-authenticate']).toBe('Bearer');
      expect(guarded.body).toMatch(/no token/);
      // A streamed answer of unknown length (delimited by the end of the stream): its data is the HTTP/2 body.
      const streamed = await openWebSocket(session, '/streamed');
      expect([streamed.status, streamed.body, streamed.headers['transfer-encoding']]).toEqual([
        403,
        'not yours',
        undefined,
      ]);
      const allowed = await openWebSocket(session, '/private/echo', { authorization: 'Bearer ok' });
      expect(allowed.status).toBe(200);
      allowed.peer!.send('in');
      expect(String((await allowed.peer!.next()).data)).toBe('in');
    });

    it('keeps serving HTTP/1.1 WebSockets and pages on the same port', async () => {
      const app = await start();
      const ws = await openClient(`wss://127.0.0.1:${app.port}/echo/h1`, { ca: tls.cert });
      ws.send('over h1');
      expect(await nextMessage(ws)).toBe('over h1');
      ws.close();
      const session = await h2Connect(app.url, { ca: tls.cert });
      toClose.push(() => session.destroy());
      const page = session.request({ ':path': '/' });
      let body = '';
      page.setEncoding('utf8');
      page.on('data', (c: string) => {
        body += c;
      });
      await once(page, 'end');
      expect(body).toBe('page');
    });
  });
}
