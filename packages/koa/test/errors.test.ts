import { connect } from 'node:net';
import Router from '@koa/router';
import { UpgradeAbortedError, wsgate } from '@wsgate/koa';
import { describe, expect, it } from 'vitest';
import { rawRequest, upgradeHeaders } from '../../../test/support/raw.ts';
import { closed, nextMessage, openClient, until } from '../../../test/support/ws.ts';
import { latch, listen, served, versions } from './helpers.ts';

describe.each(versions)('%s: what the chain answers reaches the client as HTTP', (_name, Koa) => {
  async function start() {
    const app = new Koa();
    const appErrors: Error[] = [];
    app.on('error', (err: Error) => appErrors.push(err));
    const gate = wsgate(app, { onError: () => {} });
    // An error-shaping middleware, as apps have: it decides the answer for /teapot.
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (err) {
        if (ctx.path !== '/teapot') throw err;
        ctx.status = 418;
        ctx.body = { error: 'short and stout' };
      }
    });
    app.use(async (ctx, next) => {
      switch (ctx.path) {
        case '/forbidden':
          return ctx.throw(403, 'Members only');
        case '/slow':
          ctx.status = 429;
          ctx.set('Retry-After', '3');
          ctx.body = 'slow down';
          return;
        case '/old':
          return ctx.redirect('/new');
        case '/crash':
        case '/teapot':
          throw new Error('db password is hunter2');
        default:
          return next();
      }
    });
    gate.app.ws('/ok', (s) => {
      s.send('welcome');
    });
    const t = await listen(app, gate);
    return { ...t, appErrors, gate };
  }

  it('ctx.throw, a status and body, a redirect, a crash, an error middleware and Koa 404 each reach the client', async () => {
    const t = await start();
    try {
      const forbidden = await rawRequest(`${t.url}/forbidden`);
      expect(forbidden.statusLine).toMatch(/^HTTP\/1\.1 403 /);
      expect(forbidden.body).toBe('Members only');
      const slow = await rawRequest(`${t.url}/slow`);
      expect(slow.status).toBe(429);
      expect(slow.headers['retry-after']).toBe('3');
      expect(slow.body).toBe('slow down');
      const old = await rawRequest(`${t.url}/old`);
      expect(old.status).toBe(302);
      expect(old.headers.location).toBe('/new');
      const crash = await rawRequest(`${t.url}/crash`);
      expect(crash.status).toBe(500);
      expect(crash.body).toBe('Internal Server Error');
      expect(crash.text).not.toMatch(/hunter2/);
      const teapot = await rawRequest(`${t.url}/teapot`);
      expect(teapot.status).toBe(418);
      expect(JSON.parse(teapot.body)).toEqual({ error: 'short and stout' });
      const missing = await rawRequest(`${t.url}/nowhere`);
      expect(missing.status).toBe(404);
      expect(missing.body).toBe('Not Found');
      for (const a of [forbidden, slow, old, crash, teapot, missing]) {
        expect(a.closed).toBe(true);
        expect(a.text).not.toMatch(/HTTP\/1\.1 101/);
      }
      // Koa's own error handling ran for the crash (its 'error' event), and the gate counted every refusal.
      expect(t.appErrors.map((e) => e.message)).toContain('db password is hunter2');
      expect(t.gate.stats().rejected).toMatchObject({ 302: 1, 403: 1, 404: 1, 418: 1, 429: 1, 500: 1 });
      expect(t.gate.stats().pending).toBe(0);
      const ws = await openClient(`${t.wsUrl}/ok`);
      expect(await nextMessage(ws)).toBe('welcome');
      ws.close();
    } finally {
      await t.close();
    }
  });
});

describe.each(versions)('%s: errors after the 101', (_name, Koa) => {
  async function start() {
    const app = new Koa();
    const appErrors: Error[] = [];
    app.on('error', (err: Error) => appErrors.push(err));
    const reported: unknown[] = [];
    const gate = wsgate(app, { onError: (err) => reported.push(err) });
    app.use(async (ctx, next) => {
      await next();
      if (ctx.path === '/late') throw new Error('late middleware error');
    });
    gate.app.ws('/late', (s) => {
      s.send('hello');
    });
    const router = new Router();
    router.get('/after-ws', async (ctx) => {
      const s = await ctx.ws!();
      s.send('hello');
      throw new Error('thrown after ctx.ws()');
    });
    app.use(router.routes());
    const t = await listen(app, gate);
    return { ...t, appErrors, reported };
  }

  /** Opens a client and records everything it sees until the close. */
  async function watch(url: string) {
    const ws = await openClient(url);
    const errors: Error[] = [];
    ws.on('error', (e) => errors.push(e));
    const close = closed(ws);
    const first = await nextMessage(ws);
    return { first, close: await close, errors };
  }

  it('a middleware error after the handshake closes the session with 1011; the client sees a clean close', async () => {
    const t = await start();
    try {
      for (const path of ['/late', '/after-ws']) {
        const seen = await watch(`${t.wsUrl}${path}`);
        expect(seen.first).toBe('hello');
        // A clean close frame with 1011: no HTTP bytes in the stream (ws would fail with a frame error).
        expect(seen.close).toEqual({ code: 1011, reason: 'Internal error' });
        expect(seen.errors).toEqual([]);
      }
      expect(t.reported.map((e) => (e as Error).message)).toEqual([
        'late middleware error',
        'thrown after ctx.ws()',
      ]);
      // It never reached Koa's error handling (ctx.onerror would have written a 500 into the socket).
      expect(t.appErrors).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe.each(versions)('%s: ctx.ws() rejects instead of hanging', (_name, Koa) => {
  it('when the upgrade is refused, when the client leaves, and for bad options; Koa logs none of it', async () => {
    const app = new Koa();
    const appErrors: Error[] = [];
    app.on('error', (err: Error) => appErrors.push(err));
    const gate = wsgate(app);
    const inAuth = latch();
    const outcomes: unknown[] = [];
    const settled = latch();
    app.use(async (ctx) => {
      if (!ctx.ws) return;
      const options =
        ctx.path === '/bad-options'
          ? { maxPayload: -1 }
          : {
              authenticate: (
                req: { headers: Record<string, unknown> },
                { signal }: { signal: AbortSignal },
              ) =>
                req.headers.authorization
                  ? { ok: true }
                  : ctx.path === '/hang'
                    ? new Promise<undefined>((resolve) => {
                        inAuth.open();
                        signal.addEventListener('abort', () => resolve(undefined));
                      })
                    : undefined,
            };
      try {
        await ctx.ws(options);
        outcomes.push('open');
      } catch (err) {
        outcomes.push(err);
        throw err;
      } finally {
        if (outcomes.length === 3) settled.open();
      }
    });
    await served(app, gate, async (t) => {
      const refused = await rawRequest(`${t.url}/refused`);
      expect(refused.status).toBe(401);
      const bad = await rawRequest(`${t.url}/bad-options`);
      expect(bad.status).toBe(500);
      // The client leaves while authenticate is pending.
      const u = new URL(t.url);
      const socket = connect(Number(u.port), u.hostname);
      socket.on('error', () => {});
      socket.write(
        `GET /hang HTTP/1.1\r\n${Object.entries(upgradeHeaders(u.host))
          .map(([k, v]) => `${k}: ${v}`)
          .join('\r\n')}\r\n\r\n`,
      );
      await inAuth.promise;
      socket.destroy();
      await settled.promise;
      const [first, second, third] = outcomes;
      expect(first).toBeInstanceOf(UpgradeAbortedError);
      expect((first as UpgradeAbortedError).status).toBe(401);
      expect(second).toBeInstanceOf(TypeError);
      expect((second as Error).message).toMatch(/maxPayload/);
      expect(third).toBeInstanceOf(UpgradeAbortedError);
      expect((third as UpgradeAbortedError).status).toBe(0);
      await until(() => gate.stats().pending === 0, 'no pending handshake');
      // Only the bad options (a programming error) reached Koa's error handling.
      expect(appErrors).toEqual([second]);
    });
  });
});
