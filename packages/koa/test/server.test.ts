import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:http';
import { wsgate } from '@wsgate/koa';
import { describe, expect, it } from 'vitest';
import { nextMessage, openClient } from '../../../test/support/ws.ts';
import { listen, running, served, versions } from './helpers.ts';

describe.each(versions)('%s: servers', (_name, Koa) => {
  it('app.listen() is hooked: HTTP and WebSocket on the same port, and close() lets the server close', async () => {
    const app = new Koa();
    const gate = wsgate(app);
    app.use(async (ctx, next) => {
      if (!ctx.ws) ctx.body = 'http';
      await next();
    });
    gate.app.ws('/echo', (s) => s.on('message', (m) => s.send(m)));
    const t = await listen(app, gate);
    try {
      expect(t.server.listenerCount('upgrade')).toBe(1);
      expect(await (await fetch(t.url)).text()).toBe('http');
      const ws = await openClient(`${t.wsUrl}/echo`);
      ws.send('ping');
      expect(await nextMessage(ws)).toBe('ping');
      ws.close();
    } finally {
      await t.close();
    }
    expect(gate.sessions.size).toBe(0);
  });

  it('a custom server with gate.attach (idempotent, detachable); gate.route is a route through Koa', async () => {
    const app = new Koa();
    const gate = wsgate(app);
    app.use(async (ctx, next) => {
      if (ctx.get('x-block')) ctx.throw(403);
      await next();
    });
    gate.route('/core/:id', (s, req: IncomingMessage) => {
      s.sendJson({ id: s.params.id, url: req.url });
    });
    const server = createServer(app.callback());
    const detach = gate.attach(server);
    expect(gate.attach(server)).toBe(detach);
    expect(server.listenerCount('upgrade')).toBe(1);
    server.listen(0, '127.0.0.1');
    const t = await running(server, gate);
    try {
      const ws = await openClient(`${t.wsUrl}/core/7`);
      expect(JSON.parse(String(await nextMessage(ws)))).toEqual({ id: '7', url: '/core/7' });
      ws.close();
      await expect(openClient(`${t.wsUrl}/core/7`, { headers: { 'X-Block': '1' } })).rejects.toMatchObject({
        status: 403,
      });
      detach();
      expect(server.listenerCount('upgrade')).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('gate.inject goes through the Koa chain without a port', async () => {
    const app = new Koa();
    const gate = wsgate(app);
    app.use(async (ctx, next) => {
      if (ctx.get('authorization') !== 'Bearer ok') ctx.throw(401);
      ctx.state.user = { name: 'ada' };
      await next();
    });
    // Answers a question: inject resolves on 'open', and a message sent at once could precede a listener.
    gate.app.ws('/me', (s) => s.on('message', () => s.sendJson(s.user)));
    try {
      const ws = await gate.inject('/me', { headers: { Authorization: 'Bearer ok' } });
      const message = new Promise<string>((resolve) => ws.once('message', (m) => resolve(String(m))));
      ws.send('who am I?');
      expect(JSON.parse(await message)).toEqual({ name: 'ada' });
      ws.close();
      await expect(gate.inject('/me')).rejects.toMatchObject({ status: 401 });
    } finally {
      await gate.close({ timeout: 1_000 });
    }
  });

  it('trustProxy follows app.proxy and app.maxIpsCount, read on every upgrade', async () => {
    const app = new Koa();
    const gate = wsgate(app);
    gate.app.ws('/ip', (s, ctx) => {
      s.sendJson({ session: s.remoteAddress, koa: ctx.ip });
    });
    const t = await listen(app, gate);
    const ask = async () => {
      const ws = await openClient(`${t.wsUrl}/ip`, {
        headers: { 'X-Forwarded-For': '203.0.113.1, 198.51.100.2, 192.0.2.3' },
      });
      const answer = JSON.parse(String(await nextMessage(ws)));
      ws.close();
      return answer;
    };
    try {
      expect(await ask()).toEqual({ session: '127.0.0.1', koa: '127.0.0.1' });
      app.proxy = true;
      expect(await ask()).toEqual({ session: '203.0.113.1', koa: '203.0.113.1' });
      app.maxIpsCount = 2;
      expect(await ask()).toEqual({ session: '198.51.100.2', koa: '198.51.100.2' });
    } finally {
      await t.close();
    }
  });

  it('one gate per app', () => {
    const app = new Koa();
    wsgate(app);
    expect(() => wsgate(app)).toThrow(/already has a gate/);
  });

  it("refuses unmatched: 'ignore' (Koa answers every upgrade) and points to shouldHandle", () => {
    expect(() => wsgate(new Koa(), { unmatched: 'ignore' })).toThrow(/shouldHandle/);
  });
});

describe.each(versions)('%s: after the 101', (_name, Koa) => {
  it('the response finishes with status 101: on-finished listeners run and the socket lets go of the context', async () => {
    const app = new Koa();
    const gate = wsgate(app);
    const finished: number[] = [];
    let socketListeners: string[] = [];
    app.use(async (ctx, next) => {
      ctx.res.once('finish', () => finished.push(ctx.res.statusCode));
      await next();
    });
    gate.ws('/x', (s, ctx) => {
      // Koa's on-finished listener (an ee-first 'onevent') would otherwise stay here for the session's life.
      socketListeners = [...ctx.req.socket.listeners('close'), ...ctx.req.socket.listeners('error')].map(
        (f) => f.name,
      );
      s.on('message', (m) => s.send(m));
    });
    await served(app, gate, async (t) => {
      const ws = await openClient(`${t.wsUrl}/x`);
      expect(finished).toEqual([101]);
      expect(socketListeners.length).toBeGreaterThan(0);
      expect(socketListeners).not.toContain('onevent');
      ws.send('still open');
      expect(await nextMessage(ws)).toBe('still open');
      ws.close();
    });
  });
});
