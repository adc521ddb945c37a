import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { listening } from '../../../test/support/listening.ts';
import { rawRequest } from '../../../test/support/raw.ts';
import { nextMessage, openClient } from '../../../test/support/ws.ts';
import { PreparedUpgrade, writeRejection } from '../src/adapter.js';
import { createGate, HttpError } from '../src/index.js';
import { errorAnswer } from '../src/upgrade/http-error.js';

/** An attached server on 127.0.0.1:0; `close` ends the gate before the server. */
async function serve(gate: ReturnType<typeof createGate>) {
  const server = createServer();
  gate.attach(server);
  server.listen(0, '127.0.0.1');
  return listening(server, gate);
}

describe('gate.attach', () => {
  it('is idempotent per server: attaching twice handles each upgrade once', async () => {
    let opened = 0;
    const gate = createGate({ heartbeat: false });
    gate.route('/x', (s) => {
      opened++;
      s.send('hi');
    });
    const server = createServer();
    const detach = gate.attach(server);
    expect(gate.attach(server)).toBe(detach);
    expect(server.listenerCount('upgrade')).toBe(1);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const ws = await openClient(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
      expect(await nextMessage(ws)).toBe('hi');
      expect(opened).toBe(1);
      ws.close();
    } finally {
      await gate.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    detach();
    expect(server.listenerCount('upgrade')).toBe(0);
  });

  it("unmatched: 'ignore' leaves the socket to another listener, else answers 404 after handshakeTimeout", async () => {
    const gate = createGate({ unmatched: 'ignore', handshakeTimeout: 100, heartbeat: false });
    gate.route('/mine', (s) => s.send('mine'));
    const t = await serve(gate);
    try {
      // Nobody else listens: a 404, not a hanging socket.
      const a = await rawRequest(`${t.url}/theirs`);
      expect(a.status).toBe(404);
      expect(a.closed).toBe(true);
      // Another listener takes what we leave.
      t.server.on('upgrade', (req, socket) => {
        if (req.url === '/theirs') socket.end('HTTP/1.1 418 I am a teapot\r\nConnection: close\r\n\r\n');
      });
      const b = await rawRequest(`${t.url}/theirs`);
      expect(b.status).toBe(418);
    } finally {
      await t.close();
    }
  });
});

describe('shouldHandle', () => {
  it('leaves what it declines to another listener (even a path a route matches), else 404 after handshakeTimeout', async () => {
    const gate = createGate({
      shouldHandle: (req) => !req.url?.startsWith('/theirs'),
      handshakeTimeout: 100,
      heartbeat: false,
    });
    gate.route('/*', (s) => s.send('mine'));
    const t = await serve(gate);
    try {
      const ws = await openClient(`${t.wsUrl}/mine`);
      expect(await nextMessage(ws)).toBe('mine');
      ws.close();
      const alone = await rawRequest(`${t.url}/theirs`);
      expect(alone.status).toBe(404);
      expect(alone.closed).toBe(true);
      t.server.on('upgrade', (req, socket) => {
        if (req.url?.startsWith('/theirs'))
          socket.end('HTTP/1.1 418 I am a teapot\r\nConnection: close\r\n\r\n');
      });
      const shared = await rawRequest(`${t.url}/theirs`);
      expect(shared.status).toBe(418);
      // Declined upgrades are not the gate's: not counted as its refusals.
      expect(gate.stats().rejected).toEqual({});
    } finally {
      await t.close();
    }
  });

  it('a throw answers 500 and reaches onError; anything else is a TypeError at startup', async () => {
    const errors: unknown[] = [];
    const gate = createGate({
      shouldHandle: () => {
        throw new Error('broken filter');
      },
      onError: (err, ctx) => errors.push([(err as Error).message, ctx.phase]),
      heartbeat: false,
    });
    gate.route('/x', (s) => s.send('never'));
    const t = await serve(gate);
    try {
      const answer = await rawRequest(`${t.url}/x`);
      expect(answer.status).toBe(500);
      expect(errors).toEqual([['broken filter', 'upgrade']]);
      expect(gate.sessions.size).toBe(0);
    } finally {
      await t.close();
    }
    expect(() => createGate({ shouldHandle: '/ws' as never })).toThrow(/shouldHandle/);
  });
});

describe('rejection writer', () => {
  it('writes a complete response with Connection: close and cannot be used to inject headers', async () => {
    const socket = new PassThrough();
    let text = '';
    socket.on('data', (c) => {
      text += c;
    });
    const ended = new Promise((r) => socket.on('end', r));
    writeRejection(socket, 403, 'no\r\nSet-Cookie: evil=1', {
      'X-Ok': 'yes',
      'Content-Length': '999',
      'Bad Header': 'x',
    });
    socket.resume();
    await ended;
    expect(text).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(text).toMatch(/\r\nConnection: close\r\n/);
    expect(text).toMatch(/\r\nX-Ok: yes\r\n/);
    expect(text).not.toMatch(/\r\nSet-Cookie/);
    expect(text).not.toMatch(/999/);
    expect(text).not.toMatch(/Bad Header/);
    const body = text.split('\r\n\r\n')[1]!;
    expect(text).toMatch(new RegExp(`Content-Length: ${Buffer.byteLength(body)}\\r\\n`));
  });
});

describe('errors and options', () => {
  it('maps status-carrying errors the way frameworks do', () => {
    expect(errorAnswer(new HttpError(404, 'gone'))).toMatchObject({
      status: 404,
      message: 'gone',
      expected: true,
    });
    expect(errorAnswer({ statusCode: 503, message: 'db down' })).toMatchObject({
      status: 503,
      message: 'Service Unavailable',
    });
    expect(errorAnswer({ status: 503, message: 'try later', expose: true })).toMatchObject({
      message: 'try later',
    });
    expect(errorAnswer({ status: 200 })).toMatchObject({ status: 500, expected: false });
    expect(errorAnswer('a string')).toMatchObject({ status: 500 });
  });

  it('validates options with TypeErrors naming the option', () => {
    expect(() => createGate({ maxPayload: -1 })).toThrow(/maxPayload/);
    expect(() => createGate({ origins: 'same' as never })).toThrow(/origins/);
    expect(() => createGate({ backpressure: { policy: 'block' as never } })).toThrow(/backpressure.policy/);
    expect(() => createGate({ limits: { connections: 0 } })).toThrow(/limits.connections/);
    expect(() => createGate({ limits: { inbound: 0 } })).toThrow(/limits.inbound/);
    expect(() => createGate({ limits: { inbound: '1mb' as never } })).toThrow(/limits.inbound/);
    // Node runs a timer longer than 2^31-1 ms after 1 ms: a huge timeout would reap every peer at once.
    expect(() => createGate({ heartbeat: { timeout: 2 ** 31 } })).toThrow(
      /heartbeat.timeout must be at most/,
    );
    expect(() => createGate({ heartbeat: { interval: 2 ** 31 } })).toThrow(/heartbeat.interval/);
    expect(() => createGate({ handshakeTimeout: 2 ** 31 })).toThrow(/handshakeTimeout/);
    expect(() => createGate({ closeTimeout: 2 ** 31 })).toThrow(/closeTimeout/);
    expect(() => createGate({ heartbeat: { interval: 300, timeout: 2_000 } })).not.toThrow();
    // Checked after merging with the defaults (limit 4 MiB) and, for a route, with the gate's.
    expect(() => createGate({ backpressure: { highWaterMark: 8 << 20 } })).toThrow(/must not exceed/);
    const small = createGate({ backpressure: { limit: 1 << 20 } });
    expect(() => small.route('/x', { backpressure: { highWaterMark: 2 << 20 } }, () => {})).toThrow(
      /highWaterMark \(2097152\) must not exceed backpressure.limit \(1048576\)/,
    );
    expect(() => createGate({ unmatched: 'maybe' as never })).toThrow(/unmatched/);
    expect(() => createGate({ protocols: ['bad token'] })).toThrow(/protocols/);
    expect(() => createGate({ typo: 1 } as never)).toThrow(/unknown option 'typo'/);
    const gate = createGate();
    expect(() => gate.route('/x', { heartbeat: false } as never, () => {})).toThrow(
      /unknown option 'heartbeat'/,
    );
    expect(() => gate.route('x', () => {})).toThrow(/route path/);
  });
});

describe('gate.handleWith (for adapters)', () => {
  it('finds the upgrade by its request, and answers a synchronous framework throw with 500', async () => {
    const errors: unknown[] = [];
    const gate = createGate({ heartbeat: false, onError: (err) => errors.push(err) });
    const server = createServer();
    server.on('upgrade', (req, socket, head) =>
      gate.handleWith(req, socket, head, (up) => {
        expect(PreparedUpgrade.of(req)).toBe(up);
        if (req.url === '/throws') throw new Error('framework bug');
        void PreparedUpgrade.of(req)!
          .accept((s) => s.send('through the framework'), { context: req })
          .catch(() => {});
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const a = await rawRequest(`${url}/throws`);
      expect(a.status).toBe(500);
      expect(a.closed).toBe(true);
      expect(errors).toHaveLength(1);
      const ws = await openClient(`${url.replace('http', 'ws')}/ok`);
      expect(await nextMessage(ws)).toBe('through the framework');
      ws.close();
    } finally {
      await gate.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('handshakeTimeout per route', () => {
  it('a route-level timeout given at accept (as adapters do) re-arms the timer: 503 after it, not the gate default', async () => {
    const gate = createGate({ heartbeat: false, handshakeTimeout: 60_000 });
    const server = createServer();
    const options = { handshakeTimeout: 100, authenticate: () => new Promise<undefined>(() => {}) };
    server.on('upgrade', (req, socket, head) =>
      gate.handleWith(req, socket, head, (up) => {
        void up.accept(() => {}, { context: req, options }).catch(() => {});
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const a = await rawRequest(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`);
      expect(a.status).toBe(503);
      expect(a.headers['retry-after']).toBeDefined();
    } finally {
      await gate.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
