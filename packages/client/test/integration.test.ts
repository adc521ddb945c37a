import { HttpError, RequestError, type RouteOptions, type Session } from '@wsgate/core';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type CoreTarget, coreFixture } from '../../../test/support/core-fixture.ts';
import { until } from '../../../test/support/ws.ts';
import { type Client, type ConnectOptions, connect, type State } from '../src/index.ts';

type Target = CoreTarget;
const { clients, start } = coreFixture<Client>((c) => c.close());

/** A real core gate on a real port, its route enabling wsgate.v1. */
async function serve(handler: (s: Session) => void, options: RouteOptions = {}): Promise<Target> {
  return start({}, [{ path: '/app', options: { protocols: ['wsgate.v1'], ...options }, handler }]);
}

function open(t: Target, options: ConnectOptions = {}): Client {
  const c = connect(`${t.wsUrl}/app`, { WebSocket, reconnect: { minDelay: 20, maxDelay: 100 }, ...options });
  clients.push(c);
  return c;
}

/** A served route that keeps its sessions and every message they received, and a client open on it. */
async function openRecorded(options?: ConnectOptions) {
  const sessions: Session[] = [];
  const got: unknown[] = [];
  const t = await serve((s) => {
    sessions.push(s);
    s.on('message', (m) => got.push(m));
  });
  const c = open(t, options);
  await reach(c, 'open');
  return { t, c, sessions, got };
}

/** Resolves when the client reaches `state` (the state events it went through are in `seen`). */
function reach(c: Client, state: State, seen?: State[]): Promise<void> {
  return new Promise((resolve) => {
    if (c.state === state) return resolve();
    const off = c.on('state', (s) => {
      seen?.push(s);
      if (s === state) {
        off();
        resolve();
      }
    });
  });
}

function nextMessage(c: Client): Promise<unknown> {
  return new Promise((resolve) => {
    const off = c.on('message', (d) => {
      off();
      resolve(d);
    });
  });
}

describe('@wsgate/client against a core gate', () => {
  it('exchanges messages, text and binary, with bare payloads on the server side', async () => {
    const got: unknown[] = [];
    const t = await serve((s) =>
      s.on('message', (m) => {
        got.push(m);
        s.send(m);
      }),
    );
    const c = open(t);
    const echoed = nextMessage(c);
    c.send('hello'); // queued while connecting, sent after hello
    expect(await echoed).toBe('hello');
    const bytes = nextMessage(c);
    c.send(new Uint8Array([0, 255]));
    expect(await bytes).toEqual(new Uint8Array([0, 255]));
    expect(got).toEqual(['hello', Buffer.from([0, 255])]);
  });

  it('carries requests both ways: client to server and server to client', async () => {
    let session!: Session;
    const t = await serve((s) => {
      session = s;
      s.onRequest(async (d) => {
        const { op, n } = d as { op: string; n: number };
        if (op === 'double') return n * 2;
        throw new RequestError('unknown-op', `no ${op}`);
      });
    });
    const c = open(t);
    c.onRequest((d) => ({ seen: d }));
    expect(await c.request({ op: 'double', n: 21 })).toBe(42);
    await expect(c.request({ op: 'x', n: 0 })).rejects.toMatchObject({ code: 'unknown-op', message: 'no x' });
    expect(await session.request('from the server')).toEqual({ seen: 'from the server' });
  });

  it('is answered by the app ping without the app, and detects a server that stopped reading', async () => {
    const { t, c, sessions, got: appSaw } = await openRecorded({ ping: { interval: 20, timeout: 1_000 } });
    // Several pings answered: the connection holds and the application saw none of them.
    await until(() => t.gate.stats().messagesIn >= 6, 'five pings after hello');
    expect(c.state).toBe('open');
    expect(appSaw).toEqual([]);
    // The server stops reading: pongs stop, the client gives the connection up and comes back.
    (sessions[0]!.raw as unknown as { _socket: { pause(): void } })._socket.pause();
    const seen: State[] = [];
    await reach(c, 'reconnecting', seen);
    expect(c.info).toEqual({ code: 1006, reason: 'ping timeout' });
    await reach(c, 'open');
    expect(sessions).toHaveLength(2);
  });

  it('reconnects after the server closes with 1012, sending what was queued meanwhile', async () => {
    const { c, sessions, got } = await openRecorded();
    const seen: State[] = [];
    const back = reach(c, 'reconnecting', seen);
    sessions[0]!.close(1012, 'server restarting');
    await back;
    expect(c.info).toEqual({ code: 1012, reason: 'server restarting' });
    expect(c.send('while away')).toBe(true);
    await reach(c, 'open', seen);
    expect(seen).toEqual(['reconnecting', 'open']);
    await until(() => got.length === 1, 'the queued message');
    expect(got).toEqual(['while away']);
    expect(sessions).toHaveLength(2);
  });

  it('stops on 1008 and on 4xxx close codes, saying why', async () => {
    const t = await serve((s) => s.on('message', (m) => s.close(m === 'policy' ? 1008 : 4001, 'no')));
    for (const [msg, code] of [
      ['policy', 1008],
      ['app', 4001],
    ] as const) {
      const c = open(t);
      c.send(msg);
      await reach(c, 'closed');
      expect(c.info).toEqual({ code, reason: 'no' });
    }
    expect(t.gate.stats().accepted).toBe(2);
  });

  it('stops on 401 before the 101, with the status (ws shows it)', async () => {
    const t = await serve(() => {}, { authenticate: () => undefined });
    const c = open(t);
    await reach(c, 'closed');
    expect(c.info).toMatchObject({ code: 1006, status: 401 });
    expect(t.gate.stats().rejected).toEqual({ 401: 1 });
  });

  it('comes back after 503 with Retry-After, no sooner than it says', async () => {
    let calls = 0;
    let refusedAt = 0;
    const t = await serve(() => {}, {
      authenticate: () => {
        if (++calls > 1) return { name: 'ok' };
        refusedAt = Date.now();
        throw new HttpError(503, 'busy', { headers: { 'Retry-After': '1' } });
      },
    });
    const c = open(t);
    await reach(c, 'open');
    expect(Date.now() - refusedAt).toBeGreaterThanOrEqual(1_000);
    expect(c.info).toMatchObject({ status: 503, retryAfter: 1_000 });
  });

  it('stops with protocol-not-negotiated on a route without wsgate.v1', async () => {
    const target = await start({}, [{ path: '/bare', handler: () => {} }]);
    const c = connect(`${target.wsUrl}/bare`, { WebSocket });
    clients.push(c);
    await reach(c, 'closed');
    expect(c.info).toEqual({ code: 1000, reason: 'protocol-not-negotiated' });
  });
});
