import { connect } from 'node:net';
import type { ErrorRequestHandler } from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rawRequest, upgradeHeaders } from '../../../test/support/raw.ts';
import { closed, nextMessage, openClient, until } from '../../../test/support/ws.ts';
import { wsgate } from '../src/index.ts';
import { listen, majors } from './helpers.ts';

describe.each(majors)('%s: errors before and after the handshake', (name, express) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  /** An app whose gate reports every error to `reported`. */
  const reportingApp = () => {
    const app = express();
    const reported: unknown[] = [];
    return { app, reported, gate: wsgate(app, { onError: (err) => reported.push(err) }) };
  };

  it("a middleware error reaches the app's error handler, whose status and body the client gets", async () => {
    const app = express();
    const gate = wsgate(app);
    app.use((req, _res, next) => {
      if (req.path === '/sync') throw Object.assign(new Error('db down'), { status: 503 });
      next();
    });
    app.ws('/sync', (s) => s.send('never'));
    app.ws(
      '/redirect',
      (_req, res) => res.redirect('/login'),
      (s) => s.send('never'),
    );
    app.ws(
      '/default',
      (_req, _res, next) => next(new Error('secret detail')),
      (s) => s.send('never'),
    );
    const handled: string[] = [];
    const onError: ErrorRequestHandler = (err, req, res, next) => {
      if (req.path === '/default') return next(err);
      handled.push(err.message);
      res.status(err.status ?? 500).json({ error: err.message });
    };
    app.use(onError);
    const t = await listen(app, gate);
    try {
      const a = await rawRequest(`${t.url}/sync`);
      expect(a.statusLine).toBe('HTTP/1.1 503 Service Unavailable');
      expect(JSON.parse(a.body)).toEqual({ error: 'db down' });
      expect(a.closed).toBe(true);
      const r = await rawRequest(`${t.url}/redirect`);
      expect(r.status).toBe(302);
      expect(r.headers.location).toBe('/login');
      // Express's final handler (no custom answer): 500 in production shape, no stack for the client.
      const d = await rawRequest(`${t.url}/default`);
      expect(d.status).toBe(500);
      expect(d.closed).toBe(true);
      expect(handled).toEqual(['db down']);
      expect(gate.stats().accepted).toBe(0);
    } finally {
      await t.close();
    }
  });

  it.runIf(name === 'express 5')(
    'an async middleware rejection reaches the error handler (Express 5)',
    async () => {
      const app = express();
      const gate = wsgate(app);
      app.ws(
        '/async',
        async () => {
          throw Object.assign(new Error('forbidden room'), { status: 403 });
        },
        (s) => s.send('never'),
      );
      app.use(((err, _req, res, _next) => {
        res.status(err.status).send(err.message);
      }) as ErrorRequestHandler);
      const t = await listen(app, gate);
      try {
        const a = await rawRequest(`${t.url}/async`);
        expect(a.status).toBe(403);
        expect(a.body).toBe('forbidden room');
      } finally {
        await t.close();
      }
    },
  );

  it('a handler rejecting or throwing after the 101 closes with 1011; Express never sees it; the process lives', async () => {
    const { app, gate, reported } = reportingApp();
    const errorHandlerCalls: unknown[] = [];
    app.ws('/async', async (s) => {
      s.send('opened');
      await new Promise((r) => setImmediate(r));
      throw new Error('late async failure');
    });
    app.ws('/sync', () => {
      throw new Error('sync failure');
    });
    app.ws('/echo', (s) => s.on('message', (m) => s.send(m)));
    app.use(((err, _req, res, _next) => {
      errorHandlerCalls.push(err);
      res.status(500).send('error handler');
    }) as ErrorRequestHandler);
    const t = await listen(app, gate);
    try {
      const ws = await openClient(`${t.wsUrl}/async`);
      expect(await nextMessage(ws)).toBe('opened');
      expect(await closed(ws)).toEqual({ code: 1011, reason: 'Internal error' });
      const ws2 = await openClient(`${t.wsUrl}/sync`);
      expect((await closed(ws2)).code).toBe(1011);
      await until(() => reported.length === 2, 'both errors reported to onError');
      expect(reported.map((e) => (e as Error).message).sort()).toEqual([
        'late async failure',
        'sync failure',
      ]);
      expect(errorHandlerCalls).toEqual([]);
      const echo = await openClient(`${t.wsUrl}/echo`);
      echo.send('still alive');
      expect(await nextMessage(echo)).toBe('still alive');
      echo.close();
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('middleware that never answers: 503 with Retry-After after handshakeTimeout, nothing held', async () => {
    const app = express();
    const gate = wsgate(app, { handshakeTimeout: 150 });
    app.ws(
      '/stuck',
      () => {},
      (s) => s.send('never'),
    );
    const t = await listen(app, gate);
    try {
      const a = await rawRequest(`${t.url}/stuck`);
      expect(a.status).toBe(503);
      expect(a.headers['retry-after']).toBeDefined();
      expect(a.closed).toBe(true);
      expect(gate.stats().pending).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('a client that leaves during slow middleware leaves no session, counter or error behind', async () => {
    const { app, gate, reported } = reportingApp();
    let release!: () => void;
    let entered!: () => void;
    const inMiddleware = new Promise<void>((r) => {
      entered = r;
    });
    let handlerRan = false;
    app.ws(
      '/slow',
      (_req, _res, next) => {
        release = next;
        entered();
      },
      () => {
        handlerRan = true;
      },
    );
    const t = await listen(app, gate);
    try {
      const u = new URL(t.url);
      const socket = connect(Number(u.port), u.hostname);
      socket.on('error', () => {});
      await new Promise<void>((r) => socket.once('connect', () => r()));
      const head = Object.entries(upgradeHeaders(u.host)).map(([k, v]) => `${k}: ${v}`);
      socket.write(`GET /slow HTTP/1.1\r\n${head.join('\r\n')}\r\n\r\n`);
      await inMiddleware;
      socket.destroy();
      await until(() => gate.stats().pending === 0, 'the pending upgrade to be released');
      release();
      await new Promise((r) => setImmediate(r));
      expect(handlerRan).toBe(false);
      expect((gate as unknown as { _counters(): object })._counters()).toEqual({
        pending: 0,
        perIp: 0,
        sessions: 0,
        topics: 0,
      });
      expect(reported).toEqual([]);
      expect(unhandled).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
