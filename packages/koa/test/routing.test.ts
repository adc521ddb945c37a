import Router from '@koa/router';
import { wsgate } from '@wsgate/koa';
import type { Middleware } from 'koa';
import { describe, expect, it } from 'vitest';
import { rawRequest } from '../../../test/support/raw.ts';
import { nextMessage, openClient } from '../../../test/support/ws.ts';
import { served, versions } from './helpers.ts';

describe.each(versions)('%s: routing', (_name, Koa) => {
  it('@koa/router params, prefix and matched route reach the session; a page and a socket share a path', async () => {
    const app = new Koa();
    const gate = wsgate(app);
    const seen: Array<string | undefined> = [];
    const router = new Router({ prefix: '/api' });
    router.get('/rooms/:room/users/:id', async (ctx) => {
      seen.push(typeof ctx.ws);
      if (!ctx.ws) {
        ctx.body = `page for ${ctx.params.room}`;
        return;
      }
      const s = await ctx.ws();
      s.sendJson({ params: s.params, route: s.route, url: s.url, query: s.query.get('x') });
    });
    app.use(router.routes());
    await served(app, gate, async (t) => {
      const ws = await openClient(`${t.wsUrl}/api/rooms/caf%C3%A9/users/42?x=1`);
      expect(JSON.parse(String(await nextMessage(ws)))).toEqual({
        params: { room: 'café', id: '42' },
        route: '/api/rooms/:room/users/:id',
        url: '/api/rooms/caf%C3%A9/users/42?x=1',
        query: '1',
      });
      ws.close();
      const page = await fetch(`${t.url}/api/rooms/lobby/users/1`);
      expect(await page.text()).toBe('page for lobby');
      expect(seen).toEqual(['function', 'undefined']);
    });
  });

  it('an app.ws handler that also awaits ctx.ws() gets its own session, not an error', async () => {
    const app = new Koa();
    const gate = wsgate(app);
    gate.ws('/same', async (session, ctx) => {
      const again = await ctx.ws?.();
      session.send(String(again === session));
    });
    await served(app, gate, async (t) => {
      const ws = await openClient(`${t.wsUrl}/same`);
      expect(await nextMessage(ws)).toBe('true');
      ws.close();
    });
  });

  it('app.ws is matched after the app.use chain, then its own middleware, with params and state', async () => {
    const app = new Koa();
    const gate = wsgate(app);
    const order: string[] = [];
    app.use(async (ctx, next) => {
      order.push('app middleware');
      ctx.state.tag = 'from app.use';
      if (ctx.path === '/page') {
        ctx.body = 'a page answers first';
        return;
      }
      await next();
    });
    gate.ws('/page', (s) => {
      s.send('unreachable');
    });
    const requireAdmin: Middleware = async (ctx, next) => {
      order.push('route middleware');
      if (ctx.get('x-role') !== 'admin') ctx.throw(403);
      await next();
    };
    gate.app.ws('/admin/:section', { maxPayload: 1024 }, requireAdmin, (s, ctx) => {
      order.push('handler');
      s.sendJson({ section: s.params.section, ctxParams: ctx.params, tag: ctx.state.tag });
    });
    // Registered after app.ws: still runs before it, as every app.use does.
    app.use(async (_ctx, next) => {
      order.push('later app middleware');
      await next();
    });
    await served(app, gate, async (t) => {
      const denied = await rawRequest(`${t.url}/admin/users`);
      expect(denied.status).toBe(403);
      expect(order).toEqual(['app middleware', 'later app middleware', 'route middleware']);
      order.length = 0;
      const ws = await openClient(`${t.wsUrl}/admin/users`, { headers: { 'X-Role': 'admin' } });
      expect(JSON.parse(String(await nextMessage(ws)))).toEqual({
        section: 'users',
        ctxParams: { section: 'users' },
        tag: 'from app.use',
      });
      expect(order).toEqual(['app middleware', 'later app middleware', 'route middleware', 'handler']);
      ws.close();
      const page = await rawRequest(`${t.url}/page`);
      expect(page.status).toBe(200);
      expect(page.body).toBe('a page answers first');
      expect(page.closed).toBe(true);
      expect(() => gate.app.ws('/bad', { maxPayload: -1 }, () => {})).toThrow(/maxPayload/);
      expect(() => (gate.app.ws as unknown as (p: string) => void)('/none')).toThrow(/handler/);
    });
  });

  it('ctx.ws() works in a plain middleware; ctx.ws is undefined for plain HTTP', async () => {
    const app = new Koa();
    const gate = wsgate(app);
    app.use(async (ctx) => {
      if (ctx.ws) {
        const s = await ctx.ws();
        s.on('message', (m) => s.send(`echo ${m}`));
        return;
      }
      ctx.body = `ws is ${typeof ctx.ws}`;
    });
    await served(app, gate, async (t) => {
      const res = await fetch(`${t.url}/anything`);
      expect(await res.text()).toBe('ws is undefined');
      const ws = await openClient(`${t.wsUrl}/anything`);
      ws.send('hi');
      expect(await nextMessage(ws)).toBe('echo hi');
      ws.close();
    });
  });
});

describe.each(versions)('%s: path guards', (_name, Koa) => {
  it('app.ws matches ctx.path as a guard saw it; @koa/router ignores case and a trailing slash, so router.use guards it', async () => {
    const app = new Koa();
    app.silent = true;
    const gate = wsgate(app);
    const auth: Middleware = async (ctx, next) => {
      if (ctx.get('x-token') !== 'ok') ctx.throw(401);
      await next();
    };
    // koa-mount style prefix and exact ctx.path guards, then app.ws routes after them.
    app.use(async (ctx, next) => {
      if (ctx.path === '/admin' || ctx.path.startsWith('/admin/') || ctx.path === '/secret')
        return auth(ctx, next);
      await next();
    });
    const router = new Router();
    router.use('/routed', auth);
    router.get('/routed/feed', async (ctx) => {
      if (ctx.ws) await ctx.ws();
    });
    app.use(router.routes());
    gate.ws('/admin/feed', () => {});
    gate.ws('/secret', () => {});
    await served(app, gate, async (t) => {
      const status = async (path: string, token?: string) =>
        (await rawRequest(t.url, { path, headers: token ? { 'x-token': token } : {} })).status;
      expect(await status('/secret')).toBe(401);
      expect(await status('/secret', 'ok')).toBe(101);
      // The reported bypasses: a decoded fixed segment, a trailing slash. Neither reaches a route.
      expect(await status('/%61dmin/feed')).toBe(400);
      expect(await status('/secret/')).toBe(404);
      expect(await status('/Secret')).toBe(404);
      for (const path of ['/routed/feed', '/ROUTED/feed', '/routed/feed/']) {
        expect(await status(path), path).toBe(401);
        expect(await status(path, 'ok'), path).toBe(101);
      }
    });
  });
});
