import { createRequire } from 'node:module';
import { InjectRejectedError } from '@wsgate/core';
import Fastify, { type FastifyInstance, type FastifyPluginCallback } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest } from '../../../test/support/raw.ts';
import { closed, nextMessage, openClient } from '../../../test/support/ws.ts';
import wsgateDefault, { wsgate } from '../src/index.ts';
import { listen } from './helpers.ts';

let app: FastifyInstance;
afterEach(async () => {
  await app?.close();
});

describe('routes', () => {
  it('default and named export are the same plugin', () => {
    expect(wsgateDefault).toBe(wsgate);
  });

  it('routes declared before and after the plugin loads all work; HEAD and plain GET never reach a socket handler', async () => {
    app = Fastify();
    app.get('/before', { websocket: true }, (session) => session.send('before'));
    app.register(wsgate);
    app.route({
      method: 'GET',
      url: '/page',
      handler: async () => 'the page',
      wsHandler: (session) => session.send('the socket'),
    });
    app.register(async (child) => {
      child.ws('/after', (session) => session.send('after'));
      child.get('/legacy', { websocket: true }, (session) => session.send('legacy'));
    });
    app.get('/plain', async () => 'plain');
    const { url, wsUrl } = await listen(app);

    for (const [path, expected] of [
      ['/before', 'before'],
      ['/page', 'the socket'],
      ['/after', 'after'],
      ['/legacy', 'legacy'],
    ]) {
      const ws = await openClient(`${wsUrl}${path}`);
      expect(await nextMessage(ws), path).toBe(expected);
      ws.close();
    }
    expect(await (await fetch(`${url}/page`)).text()).toBe('the page');
    expect((await fetch(`${url}/page`, { method: 'HEAD' })).status).toBe(200);
    for (const path of ['/before', '/after', '/legacy']) {
      expect((await fetch(`${url}${path}`)).status, path).toBe(404);
      expect((await fetch(`${url}${path}`, { method: 'HEAD' })).status, path).toBe(404);
    }
    expect(await (await fetch(`${url}/plain`)).text()).toBe('plain');
    const upgradeToPage = await rawRequest(`${url}/plain`);
    expect(upgradeToPage.statusLine).toMatch(/^HTTP\/1\.1 404 /);
    expect(upgradeToPage.closed).toBe(true);
    expect(app.wsgate.stats().accepted).toBe(4);
  });

  it('request.ws is true for upgrades only, so a hook can answer 401 instead of a redirect', async () => {
    app = Fastify();
    await app.register(wsgate);
    app.addHook('onRequest', async (request, reply) => {
      if (request.headers.authorization) return;
      return request.ws ? reply.code(401).send() : reply.redirect('/login');
    });
    app.route({ method: 'GET', url: '/chat', handler: async () => 'page', wsHandler: (s) => s.send('hi') });
    const { url } = await listen(app);
    expect((await rawRequest(`${url}/chat`)).status).toBe(401);
    expect((await fetch(`${url}/chat`, { redirect: 'manual' })).status).toBe(302);
  });

  it('ws options are validated when the route is declared', async () => {
    app = Fastify();
    await app.register(wsgate);
    expect(() => app.ws('/bad', { ws: { maxPayload: -1 } }, () => {})).toThrow(TypeError);
    expect(() => app.ws('/bad', {} as never)).toThrow(/needs a handler function/);
    expect(() =>
      app.route({ method: 'POST', url: '/p', handler: async () => '', wsHandler: () => {} }),
    ).toThrow(/must be GET/);
    const early = Fastify();
    early.get('/bad', { websocket: true, ws: { maxPayload: -1 } }, () => {});
    early.register(wsgate);
    await expect(early.ready()).rejects.toThrow(/maxPayload/);
    await early.close();
  });

  it('ws options apply per route: maxPayload', async () => {
    app = Fastify();
    await app.register(wsgate);
    app.ws('/small', { ws: { maxPayload: 8 } }, (session) => session.on('message', (m) => session.send(m)));
    const { wsUrl } = await listen(app);
    const ws = await openClient(`${wsUrl}/small`);
    ws.send('x'.repeat(9));
    expect((await closed(ws)).code).toBe(1009);
  });

  it('injectWS: no port; a hook refusal rejects with its status', async () => {
    app = Fastify();
    await app.register(wsgate);
    app.ws<{ Params: { room: string } }>(
      '/rooms/:room',
      {
        preHandler: async (request, reply) => {
          if (request.headers.authorization !== 'Bearer ok') return reply.code(401).send({ error: 'no' });
        },
      },
      (session, request) => session.on('message', (m) => session.send(`room ${request.params.room}: ${m}`)),
    );
    const ws = await app.injectWS('/rooms/a', { headers: { Authorization: 'Bearer ok' } });
    // The handler answers a message rather than sending on open: a first frame could arrive before this
    // test's listener exists.
    ws.send('hi');
    expect(await nextMessage(ws)).toBe('room a: hi');
    ws.close();
    const refused = await app.injectWS('/rooms/a').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(InjectRejectedError);
    expect((refused as InjectRejectedError).status).toBe(401);
    expect(app.server.listening).toBe(false);
  });

  it('close() with live sessions: each gets 1001, close resolves, new upgrades are refused', async () => {
    app = Fastify();
    await app.register(wsgate);
    app.ws('/live', (session) => session.send('open'));
    let duringClose: Awaited<ReturnType<typeof rawRequest>> | undefined;
    // Runs after wsgate's own preClose and before the server stops listening.
    app.addHook('preClose', async () => {
      duringClose = await rawRequest(`${url}/live`);
    });
    const { url, wsUrl } = await listen(app);
    const clients = await Promise.all([1, 2, 3].map(() => openClient(`${wsUrl}/live`)));
    await Promise.all(clients.map((ws) => nextMessage(ws)));
    const codes = Promise.all(clients.map((ws) => closed(ws)));
    await app.close();
    expect((await codes).map((c) => c.code)).toEqual([1001, 1001, 1001]);
    expect(app.wsgate.sessions.size).toBe(0);
    expect(duringClose?.statusLine).toMatch(/^HTTP\/1\.1 503 /);
    await expect(rawRequest(`${url}/live`)).rejects.toThrow();
  });

  it("trustProxy comes from Fastify's own option", async () => {
    app = Fastify({ trustProxy: '127.0.0.1' });
    await app.register(wsgate);
    app.ws('/ip', (session, request) => session.send(`${session.remoteAddress} ${request.ip}`));
    const { wsUrl } = await listen(app);
    const ws = await openClient(`${wsUrl}/ip`, { headers: { 'X-Forwarded-For': '203.0.113.7' } });
    expect(await nextMessage(ws)).toBe('203.0.113.7 203.0.113.7');
    ws.close();
    const plain = Fastify();
    await plain.register(wsgate);
    plain.ws('/ip', (session) => session.send(session.remoteAddress));
    const other = await listen(plain);
    const ws2 = await openClient(`${other.wsUrl}/ip`, { headers: { 'X-Forwarded-For': '203.0.113.7' } });
    expect(await nextMessage(ws2)).toBe('127.0.0.1');
    ws2.close();
    await plain.close();
  });

  it('refuses to load next to @fastify/websocket with a clear error', async () => {
    // Loaded untyped: its declaration merging would clash with ours in one program.
    const fastifyWebsocket = createRequire(import.meta.url)('@fastify/websocket') as FastifyPluginCallback;
    app = Fastify();
    app.register(fastifyWebsocket);
    app.register(wsgate);
    await expect(app.ready()).rejects.toThrow(/@fastify\/websocket is registered on this instance/);
    expect(app.server.listenerCount('upgrade')).toBe(1);
  });

  it("refuses unmatched: 'ignore' (Fastify answers every upgrade) and points to shouldHandle", async () => {
    app = Fastify();
    app.register(wsgate, { unmatched: 'ignore' });
    await expect(app.ready()).rejects.toThrow(/shouldHandle/);
    expect(app.server.listenerCount('upgrade')).toBe(0);
  });
});
