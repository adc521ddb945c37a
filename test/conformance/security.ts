import type { Logger, Session } from '@wsgate/core';
import { describe, expect, it, vi } from 'vitest';
import { rawRequest } from '../support/raw.ts';
import { closed, nextMessage, openClient, until, type WebSocket } from '../support/ws.ts';
import type { ConformanceTarget, StartedTarget } from './target.ts';

const whoami = { path: '/who', handler: (s: Session) => void s.send(s.remoteAddress) };
const echo = { path: '/echo', handler: (s: Session) => void s.on('message', (m) => s.send(m)) };

/** Opens a client and returns the address the server saw, or the refusal status. */
async function seenAs(t: StartedTarget, options: WebSocket.ClientOptions = {}): Promise<string | number> {
  try {
    const ws = await openClient(`${t.wsUrl}/who`, options);
    const address = String(await nextMessage(ws));
    held.push(ws);
    return address;
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === undefined) throw err;
    return status;
  }
}
const held: WebSocket[] = [];
async function releaseAll(): Promise<void> {
  const all = held.splice(0);
  for (const ws of all) ws.close();
  await Promise.all(all.map((ws) => closed(ws)));
}

/** The security defaults, as a deployment meets them. */
export function securitySuite(target: ConformanceTarget): void {
  describe(`${target.name}: security`, () => {
    it('per-IP limit: clients from different 127.0.0.x addresses count separately; a closed one frees its slot', async () => {
      const t = await target.start({ limits: { connectionsPerIp: 2 } }, [whoami]);
      try {
        expect(await seenAs(t, { localAddress: '127.0.0.2' })).toBe('127.0.0.2');
        expect(await seenAs(t, { localAddress: '127.0.0.2' })).toBe('127.0.0.2');
        expect(await seenAs(t, { localAddress: '127.0.0.2' })).toBe(429);
        expect(await seenAs(t, { localAddress: '127.0.0.3' })).toBe('127.0.0.3');
        expect(await seenAs(t, { localAddress: '127.0.0.3' })).toBe('127.0.0.3');
        const first = held.shift()!;
        first.close();
        await closed(first);
        await until(() => t.gate.sessions.size === 3, 'the closed session to be released');
        expect(await seenAs(t, { localAddress: '127.0.0.2' })).toBe('127.0.0.2');
        expect(await seenAs(t, { localAddress: '127.0.0.3' })).toBe(429);
      } finally {
        await releaseAll();
        await t.close();
      }
    });

    it('X-Forwarded-For is ignored by default: it neither changes remoteAddress nor escapes the per-IP limit', async () => {
      const t = await target.start({ limits: { connectionsPerIp: 1 } }, [whoami]);
      try {
        const xff = (ip: string) => ({ headers: { 'X-Forwarded-For': ip } });
        expect(await seenAs(t, xff('203.0.113.9'))).toBe('127.0.0.1');
        // A client that invents a new address per connection is still one client.
        expect(await seenAs(t, xff('203.0.113.10'))).toBe(429);
      } finally {
        await releaseAll();
        await t.close();
      }
    });

    it('trusted proxy: the rightmost untrusted X-Forwarded-For hop is the client; limits count it, IPv6 per /64, ::ffff: folded', async () => {
      const t = await target.start({ trustProxy: 'loopback', limits: { connectionsPerIp: 1 } }, [whoami]);
      try {
        const xff = (ip: string) => ({ headers: { 'X-Forwarded-For': ip } });
        // The client prepended a fake hop; the proxy appended the real one.
        expect(await seenAs(t, xff('198.51.100.1, 198.51.100.7'))).toBe('198.51.100.7');
        // Trusted (loopback) hops on the right are skipped.
        expect(await seenAs(t, xff('192.0.2.44, 127.0.0.9'))).toBe('192.0.2.44');
        expect(await seenAs(t, xff('10.9.9.9, 198.51.100.7'))).toBe(429);
        expect(await seenAs(t, xff('2001:db8:1:2::1'))).toBe('2001:db8:1:2::1');
        expect(await seenAs(t, xff('2001:db8:1:2:ffff:ffff:ffff:ffff'))).toBe(429);
        expect(await seenAs(t, xff('2001:db8:1:3::1'))).toBe('2001:db8:1:3::1');
        expect(await seenAs(t, xff('203.0.113.5'))).toBe('203.0.113.5');
        expect(await seenAs(t, xff('::ffff:203.0.113.5'))).toBe(429);
        expect(await seenAs(t, xff('::ffff:203.0.113.6'))).toBe('203.0.113.6');
      } finally {
        await releaseAll();
        await t.close();
      }
    });

    it('DNS rebinding: on a loopback bind a foreign Host is refused even when the Origin matches it', async () => {
      const t = await target.start({}, [echo]);
      const port = new URL(t.url).port;
      try {
        for (const name of [
          `rebind.evil.example:${port}`,
          'rebind.evil.example',
          `localhost.evil.example:${port}`,
          `127.0.0.1.nip.io:${port}`,
          `evil.example.:${port}`,
        ]) {
          // The attacker's page is served from the same name it rebinds: same-origin by its own lights.
          const a = await rawRequest(`${t.url}/echo`, { headers: { Host: name, Origin: `http://${name}` } });
          expect(a.status, name).toBe(403);
          expect(a.body, name).toMatch(/allowedHosts/);
          expect(a.closed).toBe(true);
        }
        for (const name of [`localhost:${port}`, `127.0.0.1:${port}`, `app.localhost:${port}`]) {
          const a = await rawRequest(`${t.url}/echo`, { headers: { Host: name, Origin: `http://${name}` } });
          expect(a.status, name).toBe(101);
        }
        expect(t.gate.stats().rejected[403]).toBe(5);
      } finally {
        await t.close();
      }
    });

    it('a ?token= never reaches a log line, refusal, reject event or close reason on any path; the handler still sees it', async () => {
      const TOKEN = 'S3CR3T-T0KEN-4242';
      const lines: string[] = [];
      const capture = (o: object, m?: string) => void lines.push(`${m ?? ''} ${safeJson(o)}`);
      const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture };
      const consoleSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((k) =>
        vi
          .spyOn(console, k)
          .mockImplementation((...args: unknown[]) => void lines.push(args.map(safeJson).join(' '))),
      );
      const t = await target.start(
        {
          logger,
          handshakeTimeout: 300,
          limits: { connectionsPerIp: 3 },
          authenticate: (req) => {
            const c = req.headers['x-case'];
            if (c === 'anon') return undefined;
            if (c === 'crash') throw new Error('authenticate crashed');
            if (c === 'hang') return new Promise(() => {});
            return { ok: true };
          },
        },
        [
          { path: '/ok', handler: (s: Session) => void s.send(`token=${s.query.get('token')}`) },
          {
            path: '/throws',
            handler: () => {
              throw new Error('handler crashed');
            },
          },
          { path: '/rate', options: { messages: { rate: 1, burst: 1 } }, handler: echo.handler },
          { path: '/small', options: { maxPayload: 16 }, handler: echo.handler },
        ],
      );
      const rejects: unknown[] = [];
      t.gate.on('reject', (info) => rejects.push(info));
      const q = `?token=${TOKEN}&access_token=${TOKEN}`;
      const refusals: string[] = [];
      const reasons: string[] = [];
      try {
        const ok = await openClient(`${t.wsUrl}/ok${q}`);
        expect(await nextMessage(ok)).toBe(`token=${TOKEN}`);
        for (const [path, headers, status] of [
          ['/missing', {}, 404],
          ['/ok', { 'X-Case': 'anon' }, 401],
          ['/ok', { 'X-Case': 'crash' }, 500],
          ['/ok', { 'X-Case': 'hang' }, 503],
          ['/ok', { Origin: 'https://elsewhere.example' }, 403],
          ['/ok', { Host: 'rebind.example' }, 403],
          ['/ok', { 'Sec-WebSocket-Version': '12' }, 426],
        ] as const) {
          const a = await rawRequest(`${t.url}${path}${q}`, { headers });
          expect(a.status, `${path} ${JSON.stringify(headers)}`).toBe(status);
          refusals.push(a.text);
        }
        const bad = [await openClient(`${t.wsUrl}/throws${q}`)];
        bad.push(await openClient(`${t.wsUrl}/rate${q}`));
        for (let i = 0; i < 5; i++) bad[1]!.send('x');
        bad.push(await openClient(`${t.wsUrl}/small${q}`));
        bad[2]!.send('a message longer than sixteen bytes');
        for (const ws of bad) reasons.push(JSON.stringify(await closed(ws)));
        expect(reasons.map((r) => JSON.parse(r).code)).toEqual([1011, 1008, 1009]);
        // Per-IP 429 with the token in the URL (the closed sessions must have left the server first).
        await until(() => t.gate.sessions.size === 1, 'the closed sessions to be released');
        const more = [await openClient(`${t.wsUrl}/ok${q}`), await openClient(`${t.wsUrl}/ok${q}`)];
        const limited = await rawRequest(`${t.url}/ok${q}`);
        expect(limited.status).toBe(429);
        refusals.push(limited.text);
        for (const ws of [ok, ...more]) ws.close();
        await Promise.all([ok, ...more].map((ws) => closed(ws)));
        expect(rejects.length).toBeGreaterThanOrEqual(8);
        if (t.gate.logger === logger) expect(lines.length).toBeGreaterThan(0);
        const everything = [...lines, ...refusals, ...reasons, JSON.stringify(rejects)].join('\n');
        expect(everything).not.toContain(TOKEN);
      } finally {
        for (const s of consoleSpies) s.mockRestore();
        await t.close();
      }
    });

    it('permessage-deflate is off by default: the 101 carries no Sec-WebSocket-Extensions, even when offered', async () => {
      const t = await target.start({}, [echo]);
      try {
        const a = await rawRequest(`${t.url}/echo`, {
          headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' },
        });
        expect(a.status).toBe(101);
        expect(a.headers['sec-websocket-extensions']).toBeUndefined();
        const ws = await openClient(`${t.wsUrl}/echo`, { perMessageDeflate: true });
        expect(ws.extensions).toBe('');
        ws.close();
        await closed(ws);
      } finally {
        await t.close();
      }
    });

    it('permessage-deflate when on is bounded: maxPayload applies after inflation (an 8 MiB zip bomb closes 1009)', async () => {
      // After a 1009 ws stops reading, so the client's close reply is never seen: closeTimeout ends it.
      const t = await target.start({ perMessageDeflate: true, maxPayload: 1 << 20, closeTimeout: 300 }, [
        echo,
      ]);
      try {
        const ws = await openClient(`${t.wsUrl}/echo`, { perMessageDeflate: true });
        expect(ws.extensions).toMatch(/permessage-deflate/);
        const fine = Buffer.alloc(512 * 1024);
        ws.send(fine);
        // Buffer.equals: a deep toEqual over 512 KiB takes seconds.
        expect(fine.equals((await nextMessage(ws)) as Buffer)).toBe(true);
        const bystander = await openClient(`${t.wsUrl}/echo`, { perMessageDeflate: true });
        const before = t.gate.stats().bytesIn;
        // 8 MiB of zeros deflates to a few tens of KiB on the wire.
        ws.send(Buffer.alloc(8 * 1024 * 1024));
        expect((await closed(ws)).code).toBe(1009);
        // Nothing of it was delivered or counted as a message.
        expect(t.gate.stats().bytesIn - before).toBe(0);
        bystander.send('unaffected');
        expect(await nextMessage(bystander)).toBe('unaffected');
        bystander.close();
        await closed(bystander);
      } finally {
        await t.close();
      }
    });
  });
}

/** JSON for log arguments that may hold errors or cycles (what a real log sink would serialise). */
function safeJson(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return `${value.message} ${value.stack ?? ''}`;
  try {
    return JSON.stringify(value, (_k, v: unknown) =>
      v instanceof Error ? { message: v.message, stack: v.stack } : v,
    );
  } catch {
    return String(value);
  }
}
