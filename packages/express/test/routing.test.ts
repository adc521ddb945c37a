import type { NextFunction, Request, Response } from 'express';
import { describe, expect, it } from 'vitest';
import { rawRequest } from '../../../test/support/raw.ts';
import { nextMessage, openClient } from '../../../test/support/ws.ts';
import { type Session, wsgate } from '../src/index.ts';
import { listen, majors } from './helpers.ts';

type Trail = Request & { trail?: string[] };
const mark = (name: string) => (req: Request, _res: Response, next: NextFunction) => {
  const r = req as Trail;
  r.trail = [...(r.trail ?? []), name];
  next();
};
const first = async (url: string, options?: Parameters<typeof openClient>[1]) => {
  const ws = await openClient(url, options);
  const m = JSON.parse(String(await nextMessage(ws)));
  ws.close();
  return m;
};

describe.each(majors)('%s: upgrades go through the app like any request', (_name, express) => {
  it('a mounted router with params and mergeParams; path and query from originalUrl', async () => {
    const app = express();
    const gate = wsgate(app);
    const rooms = express.Router({ mergeParams: true });
    rooms.ws('/:room', (s, req) => {
      s.sendJson({ params: s.params, reqParams: { ...req.params }, url: s.url, q: s.query.get('q') });
    });
    const api = express.Router();
    api.use('/orgs/:org/rooms', rooms);
    app.use('/api', api);
    const t = await listen(app, gate);
    try {
      expect(await first(`${t.wsUrl}/api/orgs/acme/rooms/lobby?q=1`)).toEqual({
        params: { org: 'acme', room: 'lobby' },
        reqParams: { org: 'acme', room: 'lobby' },
        url: '/api/orgs/acme/rooms/lobby?q=1',
        q: '1',
      });
    } finally {
      await t.close();
    }
  });

  it('gate.upgrade takes its options first, as app.ws does; the older handler-first order still applies them', async () => {
    const app = express();
    const gate = wsgate(app);
    const who = (name: string) => ({ authenticate: () => ({ name }) });
    const reply = (s: Session) => s.sendJson({ user: (s.user as { name: string } | undefined)?.name });
    app.get('/first', gate.upgrade(who('options first'), reply));
    app.get('/last', gate.upgrade(reply, who('options last')));
    const t = await listen(app, gate);
    try {
      expect(await first(`${t.wsUrl}/first`)).toEqual({ user: 'options first' });
      expect(await first(`${t.wsUrl}/last`)).toEqual({ user: 'options last' });
    } finally {
      await t.close();
    }
  });

  it('middleware runs in order (app, router, route) before the handler; req.ws is set only on upgrades', async () => {
    const app = express();
    const gate = wsgate(app);
    const seen: Array<boolean | undefined> = [];
    app.use((req, _res, next) => {
      seen.push(req.ws);
      next();
    });
    app.use(mark('app'));
    const router = express.Router();
    router.use(mark('router'));
    router.ws('/feed', mark('route-1'), mark('route-2'), (s, req) => {
      s.sendJson({ trail: (req as Trail).trail, route: s.route });
    });
    app.use('/v1', router);
    const t = await listen(app, gate);
    try {
      expect(await first(`${t.wsUrl}/v1/feed`)).toEqual({
        trail: ['app', 'router', 'route-1', 'route-2'],
        route: '/v1/feed',
      });
      // A plain GET skips the WebSocket route's middleware and gets Express's 404.
      const plain = await fetch(`${t.url}/v1/feed`);
      expect(plain.status).toBe(404);
      expect(seen).toEqual([true, undefined]);
    } finally {
      await t.close();
    }
  });

  it('gate.upgrade() is an ordinary handler: app.get, a prefix router, plain GETs fall through to the next handler', async () => {
    const app = express();
    const gate = wsgate(app);
    app.get(
      '/live/:topic',
      gate.upgrade((s, req) => s.sendJson({ topic: req.params.topic, route: s.route })),
      (_req, res) => {
        res.send('the page');
      },
    );
    const admin = express.Router();
    admin.get(
      '/events',
      gate.upgrade((s) => s.send('{"admin":true}')),
    );
    app.use('/admin', admin);
    const t = await listen(app, gate);
    try {
      expect(await first(`${t.wsUrl}/live/news`)).toEqual({ topic: 'news', route: '/live/:topic' });
      expect(await first(`${t.wsUrl}/admin/events`)).toEqual({ admin: true });
      const page = await fetch(`${t.url}/live/news`);
      expect(await page.text()).toBe('the page');
    } finally {
      await t.close();
    }
  });

  it("an upgrade no route takes gets Express's own 404, and no session", async () => {
    const app = express();
    const gate = wsgate(app);
    app.ws('/known', (s) => s.send('hi'));
    const t = await listen(app, gate);
    try {
      const a = await rawRequest(`${t.url}/unknown`);
      expect(a.statusLine).toBe('HTTP/1.1 404 Not Found');
      expect(a.body).toMatch(/Cannot GET \/unknown/);
      expect(a.closed).toBe(true);
      expect(gate.stats().accepted).toBe(0);
      expect(gate.stats().rejected).toMatchObject({ 404: 1 });
    } finally {
      await t.close();
    }
  });

  it('route-level options after the path: a router route may admit other origins, the rest stay same-origin', async () => {
    const app = express();
    const gate = wsgate(app);
    const widgets = express.Router();
    widgets.ws('/embed', { origins: ['https://partner.example'], protocols: ['v1'] }, (s) =>
      s.send(`protocol=${s.protocol}`),
    );
    app.use('/w', widgets);
    app.ws('/private', (s) => s.send('private'));
    const t = await listen(app, gate);
    try {
      const ws = await openClient(`${t.wsUrl}/w/embed`, {
        origin: 'https://partner.example',
        protocols: ['v1'],
      });
      expect(await nextMessage(ws)).toBe('protocol=v1');
      ws.close();
      const other = await rawRequest(`${t.url}/w/embed`, { headers: { Origin: 'https://evil.example' } });
      expect(other.status).toBe(403);
      const priv = await rawRequest(`${t.url}/private`, { headers: { Origin: 'https://partner.example' } });
      expect(priv.status).toBe(403);
      expect(priv.body).toMatch(/origins/);
    } finally {
      await t.close();
    }
  });

  it('bad route options fail when the route is declared', () => {
    const app = express();
    const gate = wsgate(app);
    expect(() => app.ws('/x', { maxPayload: -1 }, () => {})).toThrow(/maxPayload/);
    expect(() => gate.upgrade(() => {}, { maxPayload: -1 })).toThrow(/maxPayload/);
    expect(() => gate.upgrade(undefined as never)).toThrow(TypeError);
    expect(() => wsgate(express(), { unmatched: 'ignore' })).toThrow(/unmatched.*shouldHandle/);
  });

  it('trust proxy comes from the app, also when set after wsgate()', async () => {
    const app = express();
    const gate = wsgate(app);
    app.set('trust proxy', 'loopback');
    app.ws('/ip', (s, req) => s.sendJson({ session: s.remoteAddress, express: req.ip }));
    const t = await listen(app, gate);
    try {
      expect(await first(`${t.wsUrl}/ip`, { headers: { 'X-Forwarded-For': '203.0.113.7' } })).toEqual({
        session: '203.0.113.7',
        express: '203.0.113.7',
      });
    } finally {
      await t.close();
    }
  });
});

describe.each(majors)('%s: path guards', (_name, express) => {
  it('app.use(prefix) guards every spelling Express routes (any case, a trailing slash); a req.path comparison does not', async () => {
    const app = express();
    const gate = wsgate(app);
    const auth = (req: Request, res: Response, next: NextFunction) =>
      req.get('x-token') === 'ok' ? next() : void res.status(401).end();
    app.use('/admin', auth);
    // The hand-written exact guard README warns about: Express matches /SECRET and /secret/ to /secret.
    app.use((req, res, next) => (req.path === '/secret' ? auth(req, res, next) : next()));
    app.ws('/admin/feed', () => {});
    app.ws('/secret', () => {});
    const s = await listen(app, gate);
    try {
      for (const path of ['/admin/feed', '/ADMIN/feed', '/admin/feed/', '/Admin/Feed/']) {
        expect((await rawRequest(s.url, { path })).status, path).toBe(401);
        expect((await rawRequest(s.url, { path, headers: { 'x-token': 'ok' } })).status, path).toBe(101);
      }
      expect((await rawRequest(s.url, { path: '/secret' })).status).toBe(401);
      for (const path of ['/SECRET', '/secret/'])
        expect((await rawRequest(s.url, { path })).status, path).toBe(101);
    } finally {
      await s.close();
    }
  });
});
