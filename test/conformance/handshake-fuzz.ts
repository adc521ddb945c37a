import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzParams } from '../fuzz/runs.ts';
import { RawSocket } from '../support/frames.ts';
import { nextMessage, openClient, until } from '../support/ws.ts';
import { type ReferenceServer, startReferenceWs } from './reference-ws.ts';
import type { ConformanceTarget, StartedTarget } from './target.ts';

/** What a server answered to one hand-written request. */
interface Answer {
  /** 0 when the connection ended before a status line. */
  status: number;
  headers: Record<string, string>;
}

/** Node's default `maxHeaderSize`: a request head past it may be answered 431 or reset mid-write. */
const MAX_HEADER_SIZE = 16 * 1024;
const HANG_MS = 5_000;

/**
 * Sends `head` over TCP and resolves with the status once the response head is complete (or the server
 * closed). Rejects when nothing comes back within {@link HANG_MS}: a hang is a failure.
 */
function exchange(url: string, head: string): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname);
    let data = '';
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) return reject(err);
      const end = data.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = data.slice(0, end === -1 ? undefined : end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3}) /.exec(statusLine)?.[1] ?? 0), headers });
    };
    const timer = setTimeout(
      () => finish(new Error(`no answer within ${HANG_MS} ms to:\n${head.slice(0, 300)}`)),
      HANG_MS,
    );
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(head));
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (data.includes('\r\n\r\n')) finish();
    });
    socket.on('close', () => finish());
    // A reset after the server answered and closed (it refused before reading everything we wrote).
    socket.on('error', () => finish());
  });
}

type Header = [string, string];

function request(method: string, path: string, headers: Header[]): string {
  return `${method} ${path} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
}

const KEY_RE = /^[+/0-9A-Za-z]{22}==$/;
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const trimOws = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, '');

/** RFC 6455 section 4.2.1's Sec-WebSocket-Protocol rule, written independently of core: unique tokens. */
function offeredProtocols(value: string): string[] | null {
  if (value.length > 4096) return null; // wsgate's documented cap (CVE-2021-32640 shapes are long)
  const out: string[] = [];
  for (const part of value.split(',')) {
    const token = trimOws(part);
    if (!TOKEN_RE.test(token) || out.includes(token)) return null;
    out.push(token);
  }
  return out;
}

const printable = fc.string({ unit: fc.constantFrom(...'abcXYZ019+/=-_ .,:;"@!'.split('')), maxLength: 40 });
const validKey = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b) => Buffer.from(b).toString('base64'));
const key = fc.oneof(
  { weight: 3, arbitrary: validKey },
  fc.integer({ min: 0, max: 40 }).map((n) => Buffer.alloc(n, 7).toString('base64')),
  printable,
  validKey.map((k) => k.slice(0, -2)),
  validKey.map((k) => `${k}, ${k}`),
);

/**
 * Handshake fuzzing with fast-check, through the target's whole upgrade path: whatever the request line
 * and headers, the answer is a 101 or a 4xx (a plain 2xx/4xx when the request is not an upgrade at all),
 * never a 5xx and never a hang; a 101 only for requests RFC 6455 (and raw ws) accept; and the server keeps
 * serving. Runs per property: WSGATE_FUZZ_RUNS (default 50).
 */
export function handshakeFuzzSuite(target: ConformanceTarget): void {
  describe(`${target.name}: handshake fuzzing`, () => {
    let t: StartedTarget;
    let ref: ReferenceServer;
    let host: string;
    const errors: unknown[] = [];

    beforeAll(async () => {
      t = await target.start(
        {
          onError: (e: unknown) => errors.push(e),
          limits: { connections: 1_000_000, connectionsPerIp: 1_000_000, pendingHandshakes: 1_000_000 },
        },
        [
          { path: '/echo', handler: (s: any) => s.on('message', (m: string | Buffer) => s.send(m)) },
          { path: '/proto', options: { protocols: ['chat', 'superchat'] }, handler: () => {} },
          { path: '/deflate', options: { perMessageDeflate: true }, handler: () => {} },
          { path: '/partner', options: { origins: ['https://app.example.com'] }, handler: () => {} },
          { path: '/admin', handler: (s: any) => s.send('admin') },
          { path: '/rooms/:room', handler: (s: any) => s.send(JSON.stringify(s.params)) },
        ],
      );
      host = new URL(t.url).host;
      ref = await startReferenceWs({
        '/echo': {},
        '/proto': { protocols: ['chat', 'superchat'] },
        '/deflate': { perMessageDeflate: true },
      });
    });
    afterAll(async () => {
      await t?.close();
      await ref?.close();
    });

    /** The server is still up: counters drained, no errors reported, a fresh client still echoes. */
    async function stillServes() {
      await until(
        () => t.gate.stats().pending === 0 && t.gate.sessions.size === 0,
        'handshakes and sessions to drain',
      );
      expect(errors).toEqual([]);
      const ws = await openClient(`${t.wsUrl}/echo`);
      ws.send('alive');
      expect(await nextMessage(ws)).toBe('alive');
      ws.close();
    }

    it('method, Upgrade, Connection, key, version: 101 exactly for valid upgrades, never a 5xx', async () => {
      const arb = fc.record({
        method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'PUT', 'HEAD', 'OPTIONS', 'DELETE', 'get'),
        upgrade: fc.constantFrom(
          'websocket',
          'WebSocket',
          'WEBSOCKET',
          'websocket ',
          'h2c',
          'websocket, h2c',
          'web socket',
          'websocket2',
          'x',
        ),
        connection: fc.constantFrom(
          'Upgrade',
          'upgrade',
          'keep-alive, Upgrade',
          'Upgrade, keep-alive',
          'close',
          'keep-alive',
          'upgradex',
        ),
        key,
        version: fc.constantFrom('13', '13', '8', '7', '12', '14', '013', '13, 8', 'abc', null),
      });
      await fc.assert(
        fc.asyncProperty(arb, async (r) => {
          const headers: Header[] = [
            ['Host', host],
            ['Upgrade', r.upgrade],
            ['Connection', r.connection],
            ['Sec-WebSocket-Key', r.key],
          ];
          if (r.version !== null) headers.push(['Sec-WebSocket-Version', r.version]);
          const head = request(r.method, '/echo', headers);
          const tokens = r.connection.split(',').map((s) => s.trim().toLowerCase());
          const isUpgrade = tokens.includes('upgrade');
          const valid =
            r.method === 'GET' &&
            isUpgrade &&
            r.upgrade.trim().toLowerCase() === 'websocket' &&
            KEY_RE.test(r.key.trim()) &&
            (r.version === '13' || r.version === '8');
          const [mine, theirs] = await Promise.all([exchange(t.url, head), exchange(ref.url, head)]);
          if (valid) {
            expect(mine.status).toBe(101);
          } else if (isUpgrade && r.method !== 'get') {
            // Node hands the request to the upgrade path: the pipeline must refuse it with a 4xx.
            expect(mine.status).toBeGreaterThanOrEqual(400);
            expect(mine.status).toBeLessThan(500);
          } else {
            // Not an upgrade (or not even HTTP): the framework answers, but never with a 101 or a 5xx.
            expect(mine.status).toBeGreaterThanOrEqual(200);
            expect(mine.status).toBeLessThan(500);
            expect(mine.status).not.toBe(101);
          }
          if (mine.status === 101) expect(theirs.status, 'raw ws refused what the target accepted').toBe(101);
        }),
        fuzzParams(),
      );
      await stillServes();
    });

    it('Origin look-alikes (suffixes, userinfo, ports, null) are 403; only the exact origin passes', async () => {
      const port = new URL(t.url).port;
      const label = fc.stringMatching(/^[a-z0-9]{1,12}$/);
      const otherPort = fc.integer({ min: 1, max: 65535 }).filter((p) => String(p) !== port && p !== 443);
      type Case = { path: string; origin: string; allowed: boolean };
      const self = `http://${host}`;
      const partner = 'https://app.example.com';
      const arb: fc.Arbitrary<Case> = fc.oneof(
        fc.constantFrom<Case>(
          { path: '/echo', origin: self, allowed: true },
          { path: '/partner', origin: partner, allowed: true },
          { path: '/partner', origin: `${partner}:443`, allowed: true },
          { path: '/partner', origin: self, allowed: false },
          { path: '/echo', origin: partner, allowed: false },
          { path: '/echo', origin: 'null', allowed: false },
          { path: '/partner', origin: 'null', allowed: false },
          { path: '/partner', origin: 'http://app.example.com', allowed: false },
          { path: '/partner', origin: `${partner}/`, allowed: false },
          { path: '/partner', origin: `${partner}.evil.io`, allowed: false },
          { path: '/partner', origin: `${partner}:443.evil.io`, allowed: false },
          { path: '/partner', origin: `${partner}@evil.io`, allowed: false },
          { path: '/partner', origin: 'https://evil.io@app.example.com', allowed: false },
          { path: '/partner', origin: 'https://evil.io/app.example.com', allowed: false },
          { path: '/partner', origin: 'https://app-example.com', allowed: false },
          { path: '/partner', origin: 'https://app.example.co', allowed: false },
          { path: '/echo', origin: `${self}@evil.io`, allowed: false },
          { path: '/echo', origin: `http://evil.io@${host}`, allowed: false },
          { path: '/echo', origin: `${self}.evil.io`, allowed: false },
          { path: '/echo', origin: `http://127.0.0.1.evil.io:${port}`, allowed: false },
          { path: '/echo', origin: `http://localhost:${port}`, allowed: false },
          { path: '/echo', origin: `${self}/path`, allowed: false },
          { path: '/echo', origin: 'http://127.0.0.1', allowed: false },
          { path: '/echo', origin: `file://${host}`, allowed: false },
        ),
        fc
          .record({
            path: fc.constantFrom('/echo', '/partner'),
            l: label,
            how: fc.constantFrom('suffix', 'prefix', 'userinfo', 'host'),
          })
          .map(({ path, l, how }): Case => {
            const [scheme, authority] = path === '/echo' ? ['http', host] : ['https', 'app.example.com'];
            const origin = {
              suffix: `${scheme}://${authority}.${l}`,
              prefix: `${scheme}://${l}.${authority}`,
              userinfo: `${scheme}://${authority}@${l}.io`,
              host: `${scheme}://${l}`,
            }[how];
            return { path, origin, allowed: false };
          }),
        fc.record({ path: fc.constantFrom('/echo', '/partner'), p: otherPort }).map(
          ({ path, p }): Case => ({
            path,
            origin: path === '/echo' ? `http://127.0.0.1:${p}` : `https://app.example.com:${p}`,
            allowed: false,
          }),
        ),
      );
      await fc.assert(
        fc.asyncProperty(arb, async (c) => {
          const a = await exchange(
            t.url,
            request('GET', c.path, [
              ['Host', host],
              ['Upgrade', 'websocket'],
              ['Connection', 'Upgrade'],
              ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
              ['Sec-WebSocket-Version', '13'],
              ['Origin', c.origin],
            ]),
          );
          expect(a.status, c.origin).toBe(c.allowed ? 101 : 403);
        }),
        fuzzParams(),
      );
      await stillServes();
    });

    it('Sec-WebSocket-Protocol lists, CVE-2021-32640 runs of spaces and commas included', async () => {
      const member = fc.constantFrom(
        'chat',
        'superchat',
        'x',
        'v1.json',
        '',
        ' ',
        'a b',
        'ch@t',
        'chat ',
        '\tchat',
      );
      const sep = fc.constantFrom(',', ', ', ' ,', ' , ', ',,', ',\t');
      const list = fc
        .array(fc.tuple(member, sep), { minLength: 1, maxLength: 6 })
        .map((parts) => parts.map(([m, s], i) => (i === 0 ? m : s + m)).join(''));
      // The ReDoS shape: a token, a long run of spaces or commas, a token (ws < 7.4.6 was quadratic on it).
      const cve = fc
        .record({
          a: fc.constantFrom('chat', 'b', ''),
          run: fc.constantFrom(' ', ',', ' ,', '\t'),
          n: fc.integer({ min: 1, max: 6000 }),
          b: fc.constantFrom('chat', 'x', ''),
        })
        .map(({ a, run, n, b }) => a + run.repeat(n) + b);
      await fc.assert(
        fc.asyncProperty(fc.oneof(list, cve), async (value) => {
          const head = request('GET', '/proto', [
            ['Host', host],
            ['Upgrade', 'websocket'],
            ['Connection', 'Upgrade'],
            ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
            ['Sec-WebSocket-Version', '13'],
            ['Sec-WebSocket-Protocol', value],
          ]);
          // Node trims the header value's outer whitespace before anyone sees it.
          const offered = offeredProtocols(trimOws(value));
          const chosen = offered && (['chat', 'superchat'].find((p) => offered.includes(p)) ?? null);
          const [mine, theirs] = await Promise.all([exchange(t.url, head), exchange(ref.url, head)]);
          if (chosen) {
            expect(mine.status).toBe(101);
            expect(mine.headers['sec-websocket-protocol']).toBe(chosen);
            expect(theirs.headers['sec-websocket-protocol']).toBe(chosen);
          } else {
            expect(mine.status).toBe(400);
          }
        }),
        fuzzParams(),
      );
      await stillServes();
    });

    it('Sec-WebSocket-Extensions offers: 101 or 400, and the same negotiation as raw ws', async () => {
      const name = fc.constantFrom(
        'permessage-deflate',
        'permessage-deflate',
        'x-webkit-deflate-frame',
        'foo',
        '',
        '=x',
        'a b',
      );
      const param = fc.constantFrom(
        'client_max_window_bits',
        'client_max_window_bits=10',
        'server_max_window_bits=8',
        'server_max_window_bits=7',
        'server_max_window_bits=16',
        'server_max_window_bits="10"',
        'server_no_context_takeover',
        'client_no_context_takeover',
        'server_no_context_takeover=1',
        'x=',
        '=1',
        'a="b',
        'a="b\\"c"',
        'mux',
      );
      const ext = fc
        .tuple(name, fc.array(param, { maxLength: 3 }), fc.constantFrom(';', '; ', ' ; '))
        .map(([n, ps, s]) => [n, ...ps].join(s));
      const offer = fc.array(ext, { minLength: 1, maxLength: 3 }).map((e) => e.join(', '));
      await fc.assert(
        fc.asyncProperty(offer, fc.constantFrom('/echo', '/deflate'), async (value, path) => {
          const head = request('GET', path, [
            ['Host', host],
            ['Upgrade', 'websocket'],
            ['Connection', 'Upgrade'],
            ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
            ['Sec-WebSocket-Version', '13'],
            ['Sec-WebSocket-Extensions', value],
          ]);
          const [mine, theirs] = await Promise.all([exchange(t.url, head), exchange(ref.url, head)]);
          expect([101, 400]).toContain(mine.status);
          if (mine.status === 101) {
            expect(theirs.status, 'raw ws refused what the target accepted').toBe(101);
            expect(mine.headers['sec-websocket-extensions']).toBe(theirs.headers['sec-websocket-extensions']);
          }
        }),
        fuzzParams(),
      );
      await stillServes();
    });

    it('2000+ headers (CVE-2024-37890): WebSocket headers past maxHeadersCount are refused, not a crash', async () => {
      const arb = fc.record({
        count: fc.integer({ min: 2000, max: 2600 }),
        where: fc.constantFrom('before', 'after', 'split'),
      });
      await fc.assert(
        fc.asyncProperty(arb, async ({ count, where }) => {
          const ws: Header[] = [
            ['Upgrade', 'websocket'],
            ['Connection', 'Upgrade'],
            ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
            ['Sec-WebSocket-Version', '13'],
          ];
          const filler: Header[] = Array.from({ length: count }, () => ['a', '1']);
          const headers: Header[] =
            where === 'before'
              ? [['Host', host], ...ws, ...filler]
              : where === 'after'
                ? [['Host', host], ...filler, ...ws]
                : [['Host', host], ws[0]!, ws[1]!, ...filler, ws[2]!, ws[3]!];
          const a = await exchange(t.url, request('GET', '/echo', headers));
          // Node 20 keeps the first 2000 headers, so the upgrade completes when all of ours are among them;
          // Node 22+ refuses a request with that many header lines outright (431). Both are safe answers.
          if (where === 'before') expect([101, 431]).toContain(a.status);
          else expect(a.status >= 400 && a.status < 500, `status ${a.status}`).toBe(true);
        }),
        fuzzParams(0.2),
      );
      await stillServes();
    });

    it('huge headers: 101 or 4xx (431 past Node maxHeaderSize), never a 5xx or a hang', async () => {
      const arb = fc.record({
        name: fc.constantFrom(
          'Cookie',
          'X-Junk',
          'User-Agent',
          'Origin',
          'Sec-WebSocket-Protocol',
          'Sec-WebSocket-Extensions',
        ),
        // Away from the 16 KiB boundary, where the request line's length would decide the outcome.
        size: fc.oneof(fc.integer({ min: 4_000, max: 15_000 }), fc.integer({ min: 17_500, max: 40_000 })),
        fill: fc.constantFrom('a', ' ', ',', 'a,'),
      });
      await fc.assert(
        fc.asyncProperty(arb, async ({ name, size, fill }) => {
          const head = request('GET', '/echo', [
            ['Host', host],
            ['Upgrade', 'websocket'],
            ['Connection', 'Upgrade'],
            ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
            ['Sec-WebSocket-Version', '13'],
            [name, `x${fill.repeat(Math.ceil(size / fill.length))}x`],
          ]);
          const a = await exchange(t.url, head);
          if (head.length > MAX_HEADER_SIZE) {
            // Node answers 431 and closes while we may still be writing; a reset can then swallow the 431.
            expect([0, 431]).toContain(a.status);
          } else {
            expect(a.status === 101 || (a.status >= 400 && a.status < 500), `status ${a.status}`).toBe(true);
            if (name === 'Cookie' || name === 'X-Junk' || name === 'User-Agent') expect(a.status).toBe(101);
          }
        }),
        fuzzParams(0.2),
      );
      await stillServes();
    });

    it('route params round-trip through encodeURIComponent', async () => {
      const room = fc
        .string({ unit: 'grapheme', minLength: 1, maxLength: 8 })
        .filter((s) => s !== '.' && s !== '..' && encodeURIComponent(s).length <= 100);
      await fc.assert(
        fc.asyncProperty(room, async (s) => {
          const raw = await RawSocket.open(t.url, { path: `/rooms/${encodeURIComponent(s)}` });
          try {
            const f = await raw.next();
            expect(f && JSON.parse(f.payload.toString())).toEqual({ room: s });
          } finally {
            raw.destroy();
          }
        }),
        fuzzParams(),
      );
      await stillServes();
    });

    it('no route is reached by encoding, `..` or `%2F` tricks', async () => {
      const segment = fc.oneof(
        fc.constantFrom(
          'rooms',
          'admin',
          '%61dmin',
          '..',
          '.',
          '%2e%2e',
          '%2E.',
          '%2e',
          '..%2f',
          '%2fadmin',
          '%2Fadmin',
          'admin%2f',
          'admin%2F..',
          '%252e%252e',
          '%2561dmin',
          'a',
          'lobby',
          '%00',
          '%zz',
          ';admin',
          'admin;x',
        ),
        // At most 3 letters, so never another route's name ('echo', 'proto').
        fc.stringMatching(/^[a-z]{1,3}$/),
      );
      // Dot segments right before a route's name: what resolving them would turn into a hit.
      const dot = fc.constantFrom('..', '.', '%2e%2e', '%2E.', '.%2e', '%2e');
      const traversal = fc
        .tuple(
          fc.array(segment, { maxLength: 2 }),
          fc.array(dot, { minLength: 1, maxLength: 3 }),
          fc.constantFrom(['admin'], ['rooms', 'x']),
        )
        .map(([before, dots, after]) => [...before, ...dots, ...after]);
      const path = fc
        .oneof(fc.array(segment, { minLength: 1, maxLength: 4 }), traversal)
        .map((s) => `/${s.join('/')}`);
      // Proxies send absolute-form targets; their path must be taken as written, `..` unresolved.
      const target = fc.tuple(fc.boolean(), path).map(([absolute, p]) => ({ absolute, p }));
      const decodes = (raw: string, to: string) => {
        try {
          return decodeURIComponent(raw).toLowerCase() === to;
        } catch {
          return false;
        }
      };
      await fc.assert(
        fc.asyncProperty(target, async ({ absolute, p }) => {
          const segments = p.split('/').slice(1);
          let reached: string | null = null;
          let raw: RawSocket | undefined;
          try {
            raw = await RawSocket.open(t.url, { path: absolute ? `http://${host}${p}` : p });
            const f = await raw.next();
            reached = f ? f.payload.toString() : null;
          } catch (err) {
            const status = (err as { status?: number }).status ?? 0;
            expect(status >= 400 && status < 500, `${p}: ${(err as Error).message}`).toBe(true);
            return;
          } finally {
            raw?.destroy();
          }
          if (reached === 'admin') {
            expect(segments.length === 1 && decodes(segments[0]!, 'admin'), `${p} reached /admin`).toBe(true);
          } else {
            expect(segments.length === 2 && decodes(segments[0]!, 'rooms'), `${p} reached /rooms/:room`).toBe(
              true,
            );
            expect(JSON.parse(reached ?? 'null')).toEqual({ room: decodeURIComponent(segments[1]!) });
          }
        }),
        fuzzParams(),
      );
      await stillServes();
    });
  });
}
