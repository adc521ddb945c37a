import { Writable } from 'node:stream';
import fastifyCookie from '@fastify/cookie';
import fastifyJwt from '@fastify/jwt';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest } from '../../../test/support/raw.ts';
import { nextMessage, openClient } from '../../../test/support/ws.ts';
import { wsgate } from '../src/index.ts';
import { listen } from './helpers.ts';

let app: FastifyInstance;
afterEach(async () => {
  await app?.close();
});

describe('real Fastify plugins decide before the handshake', () => {
  it('@fastify/cookie + @fastify/jwt: a good token reaches the handler as request.user; a bad or missing one gets the 401 before any 101', async () => {
    app = Fastify();
    await app.register(fastifyCookie);
    await app.register(fastifyJwt, { secret: 'test-secret', cookie: { cookieName: 'token', signed: false } });
    await app.register(wsgate);
    app.ws(
      '/me',
      {
        onRequest: async (request) => {
          await request.jwtVerify();
        },
      },
      (session, request) => {
        session.sendJson({ user: request.user, sessionUser: session.user });
      },
    );
    const { url, wsUrl } = await listen(app);
    const token = app.jwt.sign({ name: 'ada' });

    const ws = await openClient(`${wsUrl}/me`, { headers: { Cookie: `token=${token}` } });
    const got = JSON.parse(String(await nextMessage(ws)));
    expect(got.user.name).toBe('ada');
    expect(got.sessionUser.name).toBe('ada');
    ws.close();

    for (const headers of [{ Cookie: 'token=not.a.jwt' }, {}, { Cookie: `token=${token}x` }]) {
      const answer = await rawRequest(`${url}/me`, { headers });
      expect(answer.statusLine).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer.text).not.toMatch(/101 Switching/);
      expect(answer.headers['content-type']).toMatch(/json/);
      expect(JSON.parse(answer.body).code).toMatch(/FST_JWT/);
      expect(answer.closed).toBe(true);
    }
    expect(app.wsgate.stats().accepted).toBe(1);
    expect(app.wsgate.sessions.size).toBe(0);
  });

  it('route schema (params, querystring, headers): a validation failure is Fastify 400; valid input is coerced', async () => {
    app = Fastify();
    await app.register(wsgate);
    app.ws<{ Params: { id: number }; Querystring: { v: string } }>(
      '/items/:id',
      {
        schema: {
          params: { type: 'object', properties: { id: { type: 'integer' } } },
          querystring: { type: 'object', required: ['v'], properties: { v: { type: 'string' } } },
          headers: { type: 'object', properties: { 'x-tenant': { type: 'string', pattern: '^[a-z]+$' } } },
        },
      },
      (session, request) => {
        session.send(`${typeof request.params.id}:${request.params.id}:${request.query.v}`);
      },
    );
    const { url, wsUrl } = await listen(app);
    for (const path of ['/items/abc?v=1', '/items/5', '/items/5?v=1&x']) {
      const headers = path.endsWith('&x') ? { 'X-Tenant': 'UPPER' } : {};
      const answer = await rawRequest(`${url}${path}`, { headers });
      expect(answer.statusLine, path).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(answer.body).code).toBe('FST_ERR_VALIDATION');
      expect(answer.closed).toBe(true);
    }
    const ws = await openClient(`${wsUrl}/items/5?v=ok`, { headers: { 'X-Tenant': 'acme' } });
    expect(await nextMessage(ws)).toBe('number:5:ok');
    ws.close();
  });

  it('@fastify/rate-limit counts upgrades: over the limit is its 429, under it its headers ride on the 101', async () => {
    app = Fastify();
    await app.register(rateLimit, { max: 2, timeWindow: 60_000 });
    await app.register(wsgate);
    app.ws('/limited', (session) => session.close(1000));
    const { url } = await listen(app);
    const first = await rawRequest(`${url}/limited`);
    expect(first.status).toBe(101);
    expect(first.headers['x-ratelimit-limit']).toBe('2');
    expect(first.headers['x-ratelimit-remaining']).toBe('1');
    expect((await rawRequest(`${url}/limited`)).status).toBe(101);
    const third = await rawRequest(`${url}/limited`);
    expect(third.statusLine).toMatch(/^HTTP\/1\.1 429 /);
    expect(third.headers['retry-after']).toBeDefined();
    expect(third.closed).toBe(true);
  });

  it('encapsulation: a child context hook guards only the child routes', async () => {
    app = Fastify();
    await app.register(wsgate);
    const seen: string[] = [];
    await app.register(async (child) => {
      child.addHook('onRequest', async (request, reply) => {
        seen.push(request.url);
        if (request.headers['x-key'] !== 'k') return reply.code(403).send({ error: 'child only' });
      });
      child.ws('/private', (session) => session.send('private'));
    });
    app.ws('/public', (session) => session.send('public'));
    const { url, wsUrl } = await listen(app);

    const pub = await openClient(`${wsUrl}/public`);
    expect(await nextMessage(pub)).toBe('public');
    pub.close();
    const refused = await rawRequest(`${url}/private`);
    expect(refused.statusLine).toMatch(/^HTTP\/1\.1 403 /);
    expect(refused.body).toMatch(/child only/);
    const priv = await openClient(`${wsUrl}/private`, { headers: { 'X-Key': 'k' } });
    expect(await nextMessage(priv)).toBe('private');
    priv.close();
    expect(seen).toEqual(['/private', '/private']);
  });

  it('logs go through request.log with the query redacted on WebSocket routes, also for a 404', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    app = Fastify({ logger: { level: 'debug', stream } });
    await app.register(wsgate);
    app.ws(
      '/feed',
      {
        preHandler: async (request, reply) => {
          if ((request.query as { token?: string }).token !== 'SUPERSECRET123') return reply.code(401).send();
        },
      },
      (session, request) => {
        request.log.info('feed handler ran');
        session.send('ok');
      },
    );
    const { url, wsUrl } = await listen(app);
    const ws = await openClient(`${wsUrl}/feed?token=SUPERSECRET123`);
    expect(await nextMessage(ws)).toBe('ok');
    ws.close();
    expect((await rawRequest(`${url}/feed?token=WRONGSECRET456`)).status).toBe(401);
    expect((await rawRequest(`${url}/missing?token=SUPERSECRET123`)).status).toBe(404);
    const log = lines.join('');
    expect(log).toMatch(/"url":"\/feed\?token=\[redacted\]"/);
    expect(log).toMatch(/feed handler ran/);
    expect(log).toMatch(/\/missing\?token=\[redacted\]/);
    expect(log).not.toMatch(/SUPERSECRET123|WRONGSECRET456/);
  });
});
