import { wsgate } from '@wsgate/koa';
import session from 'koa-session';
import { describe, expect, it } from 'vitest';
import { rawRequest } from '../../../test/support/raw.ts';
import { nextMessage, openClient } from '../../../test/support/ws.ts';
import { listen, versions } from './helpers.ts';

describe.each(versions)('%s: auth before the handshake', (_name, Koa) => {
  /** koa-session cookies, an auth middleware that throws 401, and one `app.ws` route behind it. */
  async function start() {
    const app = new Koa();
    app.keys = ['test-signing-key'];
    app.silent = true;
    const gate = wsgate(app);
    app.use(session(app, { signed: true }));
    app.use(async (ctx, next) => {
      if (ctx.path === '/login') {
        ctx.session!.user = { name: String(ctx.query.name) };
        ctx.body = 'logged in';
        return;
      }
      const user = ctx.session?.user;
      if (!user) ctx.throw(401, 'Log in first', { headers: { 'WWW-Authenticate': 'Cookie realm="app"' } });
      ctx.state.user = user;
      await next();
    });
    gate.app.ws('/chat', (s) => {
      s.sendJson({ user: s.user });
    });
    return listen(app, gate);
  }

  async function login(url: string, name: string): Promise<string> {
    const res = await fetch(`${url}/login?name=${name}`);
    expect(res.status).toBe(200);
    return res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
  }

  it('a client without a session gets HTTP 401 from ctx.throw, before any 101, on a closed socket', async () => {
    const t = await start();
    try {
      const a = await rawRequest(`${t.url}/chat`);
      expect(a.statusLine).toMatch(/^HTTP\/1\.1 401 /);
      expect(a.text).not.toMatch(/HTTP\/1\.1 101/);
      expect(a.headers['www-authenticate']).toBe('Cookie realm="app"');
      expect(a.headers.connection).toBe('close');
      expect(a.body).toBe('Log in first');
      expect(a.closed).toBe(true);
      expect(t.server.listenerCount('upgrade')).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('a logged-in client is upgraded and ctx.state.user becomes session.user', async () => {
    const t = await start();
    try {
      const cookie = await login(t.url, 'ada');
      expect(cookie).toMatch(/koa\.sess=/);
      const ws = await openClient(`${t.wsUrl}/chat`, { headers: { Cookie: cookie } });
      expect(JSON.parse(String(await nextMessage(ws)))).toEqual({ user: { name: 'ada' } });
      ws.close();
      // A forged cookie (bad signature) is no session: 401 again.
      const forged = cookie.replace(/koa\.sess\.sig=[^;]+/, 'koa.sess.sig=forged');
      const a = await rawRequest(`${t.url}/chat`, { headers: { Cookie: forged } });
      expect(a.status).toBe(401);
    } finally {
      await t.close();
    }
  });
});
