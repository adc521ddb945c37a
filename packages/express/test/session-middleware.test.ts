import cookieParser from 'cookie-parser';
import type { RequestHandler } from 'express';
import session from 'express-session';
import { describe, expect, it } from 'vitest';
import { rawRequest } from '../../../test/support/raw.ts';
import { nextMessage, openClient, until } from '../../../test/support/ws.ts';
import { wsgate } from '../src/index.ts';
import { listen, majors } from './helpers.ts';

interface User {
  name: string;
}

declare module 'express-session' {
  interface SessionData {
    user: User;
    visits: number;
  }
}

describe.each(majors)('%s: cookie-parser + express-session decide before the handshake', (_name, express) => {
  function app(store: session.Store) {
    const a = express();
    const gate = wsgate(a);
    a.use(cookieParser('cookie secret'));
    a.use(
      session({ secret: 'cookie secret', store, resave: false, saveUninitialized: false, rolling: true }),
    );
    // What passport does: the session's user becomes req.user.
    a.use((req, _res, next) => {
      (req as { user?: User | undefined }).user = req.session.user;
      next();
    });
    a.post('/login', (req, res) => {
      req.session.user = { name: 'ada' };
      res.sendStatus(204);
    });
    const requireLogin: RequestHandler = (req, res, next) => {
      if (req.session.user) return next();
      // req.ws: answer a WebSocket with 401 rather than redirecting it to a login page.
      if (req.ws) res.status(401).json({ error: 'login required' });
      else res.redirect('/login');
    };
    a.ws('/chat', requireLogin, (s, req) => {
      s.sendJson({ user: s.user, sameReqUser: (req as { user?: User }).user === s.user, ws: req.ws });
    });
    const count: RequestHandler = (req, _res, next) => {
      req.session.visits = (req.session.visits ?? 0) + 1;
      next();
    };
    a.ws('/count', count, (s) => s.send('counted'));
    return { a, gate };
  }

  it('a logged-in user reaches the handler as session.user and the rolling cookie is on the 101', async () => {
    const store = new session.MemoryStore();
    const { a, gate } = app(store);
    const t = await listen(a, gate);
    try {
      const login = await fetch(`${t.url}/login`, { method: 'POST' });
      expect(login.status).toBe(204);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      expect(cookie).toMatch(/^connect\.sid=/);

      const raw = await rawRequest(`${t.url}/chat`, { headers: { Cookie: cookie } });
      expect(raw.status).toBe(101);
      expect(raw.headers['set-cookie']).toMatch(/^connect\.sid=.+HttpOnly/);

      const ws = await openClient(`${t.wsUrl}/chat`, { headers: { Cookie: cookie } });
      expect(JSON.parse(String(await nextMessage(ws)))).toEqual({
        user: { name: 'ada' },
        sameReqUser: true,
        ws: true,
      });
      ws.close();
    } finally {
      await t.close();
    }
  });

  it("an anonymous upgrade gets the middleware's own 401 body and no session exists", async () => {
    const { a, gate } = app(new session.MemoryStore());
    const t = await listen(a, gate);
    try {
      const raw = await rawRequest(`${t.url}/chat`);
      expect(raw.statusLine).toBe('HTTP/1.1 401 Unauthorized');
      expect(raw.headers['content-type']).toMatch(/application\/json/);
      expect(JSON.parse(raw.body)).toEqual({ error: 'login required' });
      expect(raw.closed).toBe(true);
      expect(gate.sessions.size).toBe(0);
      expect(gate.stats().accepted).toBe(0);
      // A plain GET to the same path is not a WebSocket: the app's middleware redirects it.
      const page = await fetch(`${t.url}/chat`, { redirect: 'manual' });
      expect(page.status).toBe(404); // app.ws routes are skipped by plain GETs (next('route'))
    } finally {
      await t.close();
    }
  });

  it('a session created during the upgrade is saved to the store, its cookie on the 101', async () => {
    const store = new session.MemoryStore();
    const { a, gate } = app(store);
    const t = await listen(a, gate);
    // MemoryStore keeps its sessions in a plain object; its length() answers asynchronously.
    const stored = () => Object.keys((store as unknown as { sessions: object }).sessions).length;
    try {
      const raw = await rawRequest(`${t.url}/count`);
      expect(raw.status).toBe(101);
      expect(raw.headers['set-cookie']).toMatch(/^connect\.sid=/);
      await until(() => stored() === 1, 'express-session to save the new session');
    } finally {
      await t.close();
    }
  });
});
