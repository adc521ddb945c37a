import { HttpError } from '@wsgate/core';
import { describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw.ts';
import { nextMessage, openClient } from '../support/ws.ts';
import type { ConformanceTarget, StartedTarget } from './target.ts';

const echo = { path: '/echo', handler: (s: any) => s.on('message', (m: string | Buffer) => s.send(m)) };

/** Every refusal before the handshake: exact status line, a closed socket, and the server keeps serving. */
export function refusalSuite(target: ConformanceTarget): void {
  describe(`${target.name}: refusals over raw HTTP`, () => {
    const start = (options = {}, routes = [echo]) => target.start(options, routes);

    async function expectRefusal(
      t: StartedTarget,
      req: Parameters<typeof rawRequest>[1],
      status: number,
      match?: RegExp,
    ) {
      const answer = await rawRequest(`${t.url}/echo`, req);
      expect(answer.statusLine).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(answer.closed).toBe(true);
      if (match) expect(answer.text).toMatch(match);
      return answer;
    }

    async function stillServes(t: StartedTarget) {
      const ws = await openClient(`${t.wsUrl}/echo`);
      ws.send('alive');
      expect(await nextMessage(ws)).toBe('alive');
      ws.close();
    }

    it('405 for a non-GET upgrade', async () => {
      const t = await start();
      try {
        await expectRefusal(t, { method: 'POST' }, 405);
        await stillServes(t);
      } finally {
        await t.close();
      }
    });

    it('400 for bad Upgrade, key, subprotocol list and extensions headers', async () => {
      const t = await start();
      try {
        await expectRefusal(t, { headers: { Upgrade: 'h2c' } }, 400);
        await expectRefusal(t, { headers: { 'Sec-WebSocket-Key': 'short' } }, 400);
        await expectRefusal(t, { headers: { 'Sec-WebSocket-Key': null } }, 400);
        await expectRefusal(t, { headers: { 'Sec-WebSocket-Protocol': 'a,,b' } }, 400);
        await expectRefusal(t, { headers: { 'Sec-WebSocket-Protocol': 'chat, chat' } }, 400);
        await expectRefusal(t, { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; =x' } }, 400);
        await stillServes(t);
      } finally {
        await t.close();
      }
    });

    it('426 with Sec-WebSocket-Version: 13 for a missing or unsupported version', async () => {
      const t = await start();
      try {
        const a = await expectRefusal(t, { headers: { 'Sec-WebSocket-Version': '12' } }, 426);
        expect(a.headers['sec-websocket-version']).toBe('13');
        await expectRefusal(t, { headers: { 'Sec-WebSocket-Version': null } }, 426);
      } finally {
        await t.close();
      }
    });

    it('404 when no route matches, 400 for a malformed escape', async () => {
      const t = await start();
      try {
        const a = await rawRequest(`${t.url}/nowhere`);
        expect(a.statusLine).toMatch(/^HTTP\/1\.1 404 /);
        expect(a.closed).toBe(true);
        const b = await rawRequest(`${t.url}/echo`, { path: '/%E0%A4%A' });
        expect(b.status === 400 || b.status === 404).toBe(true);
        expect(b.closed).toBe(true);
        await stillServes(t);
      } finally {
        await t.close();
      }
    });

    it('403 for a cross-origin upgrade by default, naming the option; same-origin and no Origin pass', async () => {
      const t = await start();
      try {
        const a = await expectRefusal(t, { headers: { Origin: 'https://evil.example' } }, 403, /origins/);
        expect(a.body).toMatch(/origins/);
        await expectRefusal(t, { headers: { Origin: 'null' } }, 403);
        await expectRefusal(
          t,
          { headers: { Origin: `http://127.0.0.1:${new URL(t.url).port}.evil.io` } },
          403,
        );
        const host = new URL(t.url).host;
        const same = await rawRequest(`${t.url}/echo`, { headers: { Origin: `http://${host}` } });
        expect(same.status).toBe(101);
        const none = await rawRequest(`${t.url}/echo`);
        expect(none.status).toBe(101);
      } finally {
        await t.close();
      }
    });

    it('requireOrigin refuses upgrades without Origin', async () => {
      const t = await start({ requireOrigin: true });
      try {
        await expectRefusal(t, {}, 403, /requireOrigin/);
      } finally {
        await t.close();
      }
    });

    it('403 for a foreign Host on a loopback bind (DNS rebinding), unless allowedHosts says otherwise', async () => {
      const t = await start();
      try {
        await expectRefusal(
          t,
          { headers: { Host: 'rebind.evil.example', Origin: 'http://rebind.evil.example' } },
          403,
          /allowedHosts/,
        );
        const ok = await rawRequest(`${t.url}/echo`, {
          headers: { Host: `localhost:${new URL(t.url).port}` },
        });
        expect(ok.status).toBe(101);
      } finally {
        await t.close();
      }
      const t2 = await start({ allowedHosts: ['app.example.com'], origins: '*' });
      try {
        const ok = await rawRequest(`${t2.url}/echo`, { headers: { Host: 'app.example.com' } });
        expect(ok.status).toBe(101);
        await expectRefusal(t2, { headers: { Host: 'other.example.com' } }, 403);
      } finally {
        await t2.close();
      }
    });

    it('401 with WWW-Authenticate when authenticate returns undefined; the user reaches the handler', async () => {
      const t = await target.start(
        {
          authenticate: (req: any) =>
            req.headers.authorization === 'Bearer good' ? { name: 'ada' } : undefined,
        },
        [{ path: '/echo', handler: (s: any) => s.send(JSON.stringify(s.user)) }],
      );
      try {
        const a = await expectRefusal(t, {}, 401);
        expect(a.headers['www-authenticate']).toMatch(/Bearer/);
        const ws = await openClient(`${t.wsUrl}/echo`, { headers: { Authorization: 'Bearer good' } });
        expect(await nextMessage(ws)).toBe('{"name":"ada"}');
        ws.close();
      } finally {
        await t.close();
      }
    });

    it('a thrown status-carrying error becomes that status with its headers; a plain throw is a 500', async () => {
      const errors: unknown[] = [];
      const t = await target.start(
        {
          onError: (err: unknown) => errors.push(err),
          authenticate: (req: any) => {
            const h = req.headers['x-case'];
            if (h === 'http')
              throw new HttpError(403, 'Not a member', { headers: { 'X-Why': 'membership' } });
            if (h === 'statusCode') throw Object.assign(new Error('slow down'), { statusCode: 429 });
            if (h === 'hidden')
              throw Object.assign(new Error('db password is hunter2'), { status: 502, expose: false });
            if (h === 'plain') throw new Error('boom secret');
            return { ok: true };
          },
        },
        [echo],
      );
      try {
        const a = await expectRefusal(t, { headers: { 'X-Case': 'http' } }, 403, /Not a member/);
        expect(a.headers['x-why']).toBe('membership');
        await expectRefusal(t, { headers: { 'X-Case': 'statusCode' } }, 429, /slow down/);
        const hidden = await expectRefusal(t, { headers: { 'X-Case': 'hidden' } }, 502);
        expect(hidden.text).not.toMatch(/hunter2/);
        const plain = await expectRefusal(t, { headers: { 'X-Case': 'plain' } }, 500);
        expect(plain.text).not.toMatch(/secret/);
        expect(errors.length).toBeGreaterThanOrEqual(1);
        await stillServes(t);
      } finally {
        await t.close();
      }
    });

    it('503 with Retry-After when authenticate does not answer within handshakeTimeout', async () => {
      let sawAbort = false;
      const t = await target.start(
        {
          handshakeTimeout: 150,
          authenticate: (_req: any, { signal }: { signal: AbortSignal }) =>
            new Promise((resolve) => {
              signal.addEventListener('abort', () => {
                sawAbort = true;
                resolve(undefined);
              });
            }),
        },
        [echo],
      );
      try {
        const a = await expectRefusal(t, {}, 503);
        expect(a.headers['retry-after']).toBeDefined();
        expect(sawAbort).toBe(true);
        expect(t.gate.stats().pending).toBe(0);
      } finally {
        await t.close();
      }
    });

    it('503 over the connection and pending limits, 429 over the per-IP limit', async () => {
      const t = await start({ limits: { connections: 1 } });
      try {
        const ws = await openClient(`${t.wsUrl}/echo`);
        await expectRefusal(t, {}, 503);
        ws.close();
      } finally {
        await t.close();
      }
      const t2 = await start({ limits: { connectionsPerIp: 1 } });
      try {
        const ws = await openClient(`${t2.wsUrl}/echo`);
        await expectRefusal(t2, {}, 429);
        ws.close();
      } finally {
        await t2.close();
      }
    });

    it('subprotocols: the server preference wins; no overlap is a 400; the protocol reaches the session', async () => {
      const t = await target.start({ protocols: ['v2.chat', 'v1.chat'] }, [
        { path: '/echo', handler: (s: any) => s.send(`protocol=${s.protocol}`) },
      ]);
      try {
        const ws = await openClient(`${t.wsUrl}/echo`, { protocols: ['v1.chat', 'v2.chat'] });
        expect(ws.protocol).toBe('v2.chat');
        expect(await nextMessage(ws)).toBe('protocol=v2.chat');
        ws.close();
        await expectRefusal(t, { headers: { 'Sec-WebSocket-Protocol': 'mqtt' } }, 400);
      } finally {
        await t.close();
      }
    });

    it('a ?token= in the URL never appears in a refusal reason or a log line', async () => {
      const lines: string[] = [];
      const logger = {
        debug: (o: object, m?: string) => lines.push(JSON.stringify(o) + (m ?? '')),
        info: (o: object, m?: string) => lines.push(JSON.stringify(o) + (m ?? '')),
        warn: (o: object, m?: string) => lines.push(JSON.stringify(o) + (m ?? '')),
        error: (o: object, m?: string) => lines.push(JSON.stringify(o) + (m ?? '')),
      };
      const rejects: unknown[] = [];
      const t = await target.start(
        {
          logger,
          authenticate: () => {
            throw new Error('crash');
          },
        },
        [echo],
      );
      t.gate.on('reject', (info) => rejects.push(info));
      try {
        const a = await rawRequest(`${t.url}/echo?token=SUPERSECRET123`);
        expect(a.text).not.toMatch(/SUPERSECRET123/);
        const b = await rawRequest(`${t.url}/missing?token=SUPERSECRET123`);
        expect(b.text).not.toMatch(/SUPERSECRET123/);
        expect(lines.length).toBeGreaterThan(0);
        expect(lines.join('\n')).not.toMatch(/SUPERSECRET123/);
        expect(JSON.stringify(rejects)).not.toMatch(/SUPERSECRET123/);
      } finally {
        await t.close();
      }
    });
  });
}
