import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Client, type ConnectOptions, connect, RequestError, type State } from '../src/index.ts';

/**
 * An in-memory WebSocket the test drives frame by frame: the decisions under test (backoff, close codes,
 * queue, timeouts, liveness) depend only on the events a WebSocket emits, which this one emits on command.
 * The same behaviours run against a real gate over a port in integration.test.ts.
 */
class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  protocol = '';
  sent: string[] = [];
  closedWith: [number | undefined, string | undefined] | undefined;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeSocket.all.push(this);
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.readyState = 2;
    this.closedWith = [code, reason];
  }
  // What the test makes the "server" do:
  open(protocol = 'wsgate.v1'): void {
    this.readyState = 1;
    this.protocol = protocol;
    this.onopen?.({});
  }
  receive(frame: object): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  drop(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  frames(): Array<Record<string, unknown>> {
    return this.sent.map((s) => JSON.parse(s));
  }
}

const last = () => FakeSocket.all.at(-1)!;
let client: Client | undefined;
let states: Array<State> = [];

function start(options: ConnectOptions = {}): Client {
  client = connect('ws://test/x', { WebSocket: FakeSocket, ping: false, ...options });
  states = [];
  client.on('state', (s) => states.push(s));
  return client;
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.all = [];
  vi.spyOn(Math, 'random').mockReturnValue(0.999999); // the top of the jitter range: delays are exact
});
afterEach(() => {
  client?.close();
  client = undefined;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('connect and hello', () => {
  it('offers wsgate.v1, sends hello first, then what was queued, in order', () => {
    const c = start();
    expect(last().protocols).toBe('wsgate.v1');
    expect(c.state).toBe('connecting');
    expect(c.send('a')).toBe(true);
    expect(c.send(new Uint8Array([1, 2]))).toBe(true);
    last().open();
    expect(last().frames()).toEqual([{ t: 'hello' }, { t: 'msg', d: 'a' }, { t: 'msg', d: 'AQI=', b: 1 }]);
    expect(states).toEqual(['open']);
  });

  it("sends what was queued before what an 'open' listener sends", () => {
    const c = start();
    c.send('queued');
    c.on('state', (s) => {
      if (s === 'open') c.send('from the listener');
    });
    last().open();
    expect(last().frames().slice(1)).toEqual([
      { t: 'msg', d: 'queued' },
      { t: 'msg', d: 'from the listener' },
    ]);
  });

  it('stops with protocol-not-negotiated when the server did not select wsgate.v1', () => {
    const c = start();
    last().open('');
    expect(c.state).toBe('closed');
    expect(c.info).toEqual({ code: 1000, reason: 'protocol-not-negotiated' });
    expect(last().closedWith).toEqual([1000, undefined]);
    expect(last().sent).toEqual([]);
  });
});

describe('reconnect decisions', () => {
  it.each([1001, 1006, 1011, 1012, 1013, 3008])('comes back after %i with the backoff delay', (code) => {
    const c = start();
    last().open();
    last().drop(code, 'bye');
    expect(c.state).toBe('reconnecting');
    expect(c.info).toEqual({ code, reason: 'bye' });
    expect(FakeSocket.all).toHaveLength(1);
    const delay = code === 1013 ? 1000 : 500; // 1013: at least 1 s
    vi.advanceTimersByTime(delay - 1);
    expect(FakeSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeSocket.all).toHaveLength(2);
    last().open();
    expect(states).toEqual(['open', 'reconnecting', 'open']);
  });

  it.each([1000, 1002, 1003, 1007, 1008, 3000, 3003, 4000, 4999])('stops after %i and says why', (code) => {
    const c = start();
    last().open();
    last().drop(code, 'go away');
    expect(c.state).toBe('closed');
    expect(c.info).toEqual({ code, reason: 'go away' });
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('reports 1009 (a message the server refused as too big) as an error, and comes back', () => {
    const c = start();
    const errors: string[] = [];
    c.on('error', (e) => errors.push(e.message));
    last().open();
    last().drop(1009, 'Max payload size exceeded');
    expect(errors).toEqual(['wsgate: the server refused a message as too big (1009)']);
    expect(c.state).toBe('reconnecting');
  });

  it('doubles the delay on consecutive failures and starts over after a connection that held 5 s', () => {
    start();
    const opened: number[] = [];
    for (let i = 0; i < 4; i++) {
      last().drop(1006);
      const before = Date.now();
      vi.advanceTimersToNextTimer();
      opened.push(Date.now() - before);
    }
    expect(opened).toEqual([500, 1000, 2000, 4000]);
    last().open();
    vi.advanceTimersByTime(5_000);
    last().drop(1012);
    const before = Date.now();
    vi.advanceTimersToNextTimer();
    expect(Date.now() - before).toBe(500);
  });

  it('stops after maxHandshakeFailures attempts that never opened (a browser cannot see 401)', () => {
    const c = start({ maxHandshakeFailures: 3 });
    last().drop(1006);
    vi.advanceTimersToNextTimer();
    last().drop(1006);
    vi.advanceTimersToNextTimer();
    last().drop(1006);
    expect(c.state).toBe('closed');
    expect(c.info).toEqual({ code: 1006, reason: 'handshake-failed' });
    expect(FakeSocket.all).toHaveLength(3);
  });

  it('acts on the status a probe returns after a failed handshake', async () => {
    const statuses = [503, 401];
    const c = start({ probe: () => statuses.shift() });
    last().drop(1006);
    await vi.advanceTimersToNextTimerAsync();
    expect(c.info?.status).toBe(503);
    expect(FakeSocket.all).toHaveLength(2);
    last().drop(1006);
    await vi.waitFor(() => expect(c.state).toBe('closed'));
    expect(c.info).toEqual({ code: 1006, reason: '', status: 401 });
  });

  it('shouldReconnect overrides the table; reconnect: false never comes back', () => {
    const c = start({ shouldReconnect: (info) => info.code === 4001 });
    last().open();
    last().drop(4001);
    expect(c.state).toBe('reconnecting');
    c.close();
    const d = start({ reconnect: false });
    last().open();
    last().drop(1012);
    expect(d.state).toBe('closed');
  });
});

describe('send queue', () => {
  it('keeps at most `queue` frames while offline; send returns false for the newest beyond', () => {
    const c = start({ queue: 2 });
    expect([c.send('1'), c.send('2'), c.send('3')]).toEqual([true, true, false]);
    last().open();
    expect(last().frames().slice(1)).toEqual([
      { t: 'msg', d: '1' },
      { t: 'msg', d: '2' },
    ]);
    expect(c.send('4')).toBe(true); // online: not queued
  });

  it('requests share the bound and fail with queue-full; everything fails once closed', async () => {
    const c = start({ queue: 1 });
    c.send('x');
    await expect(c.request('r')).rejects.toMatchObject({ code: 'queue-full' });
    c.close();
    expect(c.send('y')).toBe(false);
    await expect(c.request('r')).rejects.toMatchObject({ code: 'closed' });
  });

  it('refuses what is not text or bytes', () => {
    const c = start();
    expect(() => c.send({ a: 1 } as never)).toThrow(TypeError);
  });
});

describe('requests', () => {
  it('resolves with the reply, rejects with the error reply, ignores late and unknown replies', async () => {
    const c = start();
    last().open();
    const ok = c.request({ op: 'sum' });
    const bad = c.request('x');
    const bytes = c.request(new Uint8Array([9]));
    const [, r1, r2, r3] = last().frames();
    expect(r1).toEqual({ t: 'req', id: 1, d: { op: 'sum' } });
    expect(r3).toEqual({ t: 'req', id: 3, d: 'CQ==', b: 1 });
    last().receive({ t: 'res', id: 1, d: 6 });
    last().receive({ t: 'res', id: 2, error: { code: 'nope', message: 'refused' } });
    last().receive({ t: 'res', id: 3, d: 'AQ==', b: 1 });
    expect(await ok).toBe(6);
    await expect(bad).rejects.toEqual(new RequestError('nope', 'refused'));
    expect(await bytes).toEqual(new Uint8Array([1]));
    expect(r2).toMatchObject({ id: 2 });
    last().receive({ t: 'res', id: 1, d: 'again' }); // already settled: ignored
    last().receive({ t: 'res', id: 77, d: 'unknown' });
  });

  it('times out, and the reply that comes later is ignored', async () => {
    const c = start({ timeout: 1_000 });
    last().open();
    const p = c.request('slow', { timeout: 200 });
    const q = c.request('default');
    vi.advanceTimersByTime(200);
    await expect(p).rejects.toMatchObject({ code: 'timeout' });
    last().receive({ t: 'res', id: 1, d: 'late' });
    vi.advanceTimersByTime(800);
    await expect(q).rejects.toMatchObject({ code: 'timeout' });
  });

  it('fails requests sent on a connection that dropped with closed; queued ones go out on the next', async () => {
    const c = start();
    last().open();
    const sent = c.request('a');
    last().drop(1012);
    await expect(sent).rejects.toMatchObject({ code: 'closed' });
    const queued = c.request('b');
    const expired = c.request('c', { timeout: 100 });
    vi.advanceTimersByTime(500);
    await expect(expired).rejects.toMatchObject({ code: 'timeout' });
    last().open();
    expect(last().frames()).toEqual([{ t: 'hello' }, { t: 'req', id: 2, d: 'b' }]); // not the expired one
    last().receive({ t: 'res', id: 2, d: 'B' });
    expect(await queued).toBe('B');
  });

  it('answers server requests with onRequest, its RequestError, failed, or no-handler', async () => {
    const c = start();
    last().open();
    last().receive({ t: 'req', id: 5, d: 1 });
    await vi.waitFor(() =>
      expect(last().frames().at(-1)).toEqual({
        t: 'res',
        id: 5,
        error: { code: 'no-handler', message: 'no-handler' },
      }),
    );
    c.onRequest(async (d) => {
      if (d === 'bad') throw new RequestError('invalid', 'bad input');
      if (d === 'boom') throw new Error('internal detail');
      return { echo: d };
    });
    last().receive({ t: 'req', id: 6, d: 'hi' });
    last().receive({ t: 'req', id: 7, d: 'bad' });
    last().receive({ t: 'req', id: 8, d: 'boom' });
    await vi.waitFor(() => expect(last().sent).toHaveLength(5));
    expect(last().frames().slice(2)).toEqual([
      { t: 'res', id: 6, d: { echo: 'hi' } },
      { t: 'res', id: 7, error: { code: 'invalid', message: 'bad input' } },
      { t: 'res', id: 8, error: { code: 'failed', message: 'request failed' } },
    ]);
  });
});

describe('liveness', () => {
  it('pings every interval and drops a connection that stays silent for timeout after a ping', () => {
    const c = start({ ping: { interval: 1_000, timeout: 500 } });
    last().open();
    vi.advanceTimersByTime(1_000);
    expect(last().frames().at(-1)).toEqual({ t: 'ping' });
    vi.advanceTimersByTime(100);
    last().receive({ t: 'pong' }); // answered: the next ping is `interval` after the answer
    vi.advanceTimersByTime(999);
    expect(last().sent.filter((s) => s === '{"t":"ping"}')).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(last().sent.filter((s) => s === '{"t":"ping"}')).toHaveLength(2);
    vi.advanceTimersByTime(499);
    expect(c.state).toBe('open');
    vi.advanceTimersByTime(1); // silence for `timeout` after the ping: dead
    expect(c.state).toBe('reconnecting');
    expect(c.info).toEqual({ code: 1006, reason: 'ping timeout' });
    expect(last().closedWith).toEqual([4000, 'ping timeout']);
    vi.advanceTimersToNextTimer();
    expect(FakeSocket.all).toHaveLength(2);
  });
});

describe('topics and positions', () => {
  it('tracks the last position per topic, presents it in hello, drops duplicates, resets on a gap', () => {
    const c = start();
    const got: unknown[] = [];
    const resets: string[] = [];
    c.on('message', (d, meta) => got.push([d, meta]));
    c.on('reset', (t) => resets.push(t));
    last().open();
    last().receive({ t: 'sub', topic: 'a', e: 'E1', o: 41 });
    last().receive({ t: 'pub', topic: 'a', e: 'E1', o: 42, d: 'x' });
    last().receive({ t: 'pub', topic: 'a', e: 'E1', o: 42, d: 'x again' });
    last().receive({ t: 'pub', topic: 'n', d: 'no history' });
    last().receive({ t: 'msg', d: 'direct' });
    expect(got).toEqual([
      ['x', { topic: 'a', epoch: 'E1', offset: 42 }],
      ['no history', { topic: 'n' }],
      ['direct', undefined],
    ]);
    last().drop(1012);
    vi.advanceTimersToNextTimer();
    last().open();
    expect(last().frames()[0]).toEqual({ t: 'hello', topics: { a: { e: 'E1', o: 42 } } });
    last().receive({ t: 'sub', topic: 'a', e: 'E1', o: 42, resumed: true });
    last().receive({ t: 'pub', topic: 'a', e: 'E1', o: 44, d: 'gap' });
    expect(resets).toEqual(['a']);
    last().receive({ t: 'sub', topic: 'b', e: 'E9', o: 3, resumed: false });
    expect(resets).toEqual(['a', 'b']);
    expect([...c.positions]).toEqual([
      ['a', { epoch: 'E1', offset: 44 }],
      ['b', { epoch: 'E9', offset: 3 }],
    ]);
    last().receive({ t: 'unsub', topic: 'b' });
    expect([...c.positions.keys()]).toEqual(['a']);
  });

  it('reports server error frames and ignores unknown types and frames that are not JSON', () => {
    const c = start();
    const errors: Error[] = [];
    c.on('error', (e) => errors.push(e));
    last().open();
    last().receive({ t: 'error', code: 'invalid', message: 'bad text' });
    last().receive({ t: 'from-the-future' });
    last().onmessage?.({ data: 'not json' });
    expect(errors.map((e) => e.message)).toEqual(['bad text', 'wsgate: a frame from the server is not JSON']);
    expect(c.state).toBe('open');
  });
});
