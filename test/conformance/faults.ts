import { connect, type Socket } from 'node:net';
import type { Session } from '@wsgate/core';
import { describe, expect, it } from 'vitest';
import { LiveTimers } from '../faults/live-timers.ts';
import { rawRequest, upgradeHeaders } from '../support/raw.ts';
import { closed, nextMessage, openClient, until, WebSocket } from '../support/ws.ts';
import type { ConformanceTarget, StartedTarget } from './target.ts';

// Odd timer lengths, so the live-timer check can tell wsgate's timers from vitest's own.
const HEARTBEAT = { interval: 113, timeout: 71 };
const WSGATE_TIMER_MS = [HEARTBEAT.interval, HEARTBEAT.timeout, 1_234, 4_321];
const FAULT_OPTIONS = { heartbeat: HEARTBEAT, closeTimeout: 1_234, handshakeTimeout: 4_321 };

const echo = { path: '/echo', handler: (s: Session) => void s.on('message', (m) => s.send(m)) };

const zero = { pending: 0, perIp: 0, sessions: 0, topics: 0 };
const counters = (t: StartedTarget) => (t.gate as unknown as { _counters(): typeof zero })._counters();

/** Opens a raw TCP connection and completes a WebSocket handshake by hand; the caller decides what then. */
async function rawWebSocket(t: StartedTarget, path: string): Promise<Socket> {
  const u = new URL(t.url);
  const socket = connect(Number(u.port), u.hostname);
  socket.on('error', () => {});
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const head = Object.entries(upgradeHeaders(u.host))
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n');
  socket.write(`GET ${path} HTTP/1.1\r\n${head}\r\n\r\n`);
  let got = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer) => {
      got += c.toString('latin1');
      if (!got.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (got.startsWith('HTTP/1.1 101')) resolve();
      else reject(new Error(`handshake refused: ${got.split('\r\n')[0]}`));
    };
    socket.on('data', onData);
  });
  return socket;
}

/** Sends `n` numbered messages one at a time, waiting for each echo: a conversation that is in flight. */
async function converse(ws: WebSocket, tag: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    ws.send(`${tag}:${i}`);
    expect(await nextMessage(ws)).toBe(`${tag}:${i}`);
  }
}

/** Faults that must cost one session at most, and leave nothing behind. */
export function faultSuite(target: ConformanceTarget): void {
  describe(`${target.name}: faults`, () => {
    it('a half-open peer (handshake done, then silent: never reads, never answers a ping) is reaped by the heartbeat; the heartbeat stops with the last session', async () => {
      const timers = new LiveTimers().start();
      const t = await target.start(FAULT_OPTIONS, [echo]);
      let raw: Socket | undefined;
      try {
        const live = await openClient(`${t.wsUrl}/echo`);
        raw = await rawWebSocket(t, '/echo');
        // Stop reading: pings pile up in the kernel buffer and no pong ever comes, as with a dead peer.
        raw.pause();
        await until(() => t.gate.sessions.size === 2, 'both sessions open');
        const reaped = new Promise<number>((resolve) => t.gate.once('close', (_s, code) => resolve(code)));
        // The live client keeps talking through several heartbeat rounds while the dead one is reaped.
        await converse(live, 'live', 20);
        expect(await reaped).toBe(1006);
        expect(t.gate.sessions.size).toBe(1);
        expect(live.readyState).toBe(WebSocket.OPEN);
        await converse(live, 'after', 5);
        expect(timers.pending(HEARTBEAT.interval)).toHaveLength(1);
        live.close();
        expect((await closed(live)).code).toBe(1005);
        await until(() => counters(t).sessions === 0, 'the last session to go');
        expect(counters(t)).toEqual(zero);
        // No session, no heartbeat: nothing of wsgate is left ticking.
        await until(() => timers.pending().every((x) => !WSGATE_TIMER_MS.includes(x.ms)), 'timers to go');
      } finally {
        raw?.destroy();
        timers.stop();
        await t.close();
      }
    });

    it('clients that leave at every stage (during authenticate by FIN or RST, right after the 101 while an async handler is pending) leave no session, counter, topic or timer', async () => {
      const timers = new LiveTimers().start();
      let inAuth = 0;
      let handlersDone = 0;
      const errors: unknown[] = [];
      const t = await target.start(
        {
          ...FAULT_OPTIONS,
          onError: (e: unknown) => errors.push(e),
          authenticate: (req, { signal }) => {
            if (!req.url?.includes('hold')) return { ok: true };
            inAuth++;
            // Answers only once the client has gone: the late answer must be ignored.
            return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ late: true })));
          },
        },
        [
          {
            path: '/room',
            handler: async (s: Session) => {
              // The client has left by the time this runs on: joining now must not leak a topic.
              await until(() => s.readyState !== WebSocket.OPEN, 'the client to leave', 3_000);
              s.subscribe('room:leak');
              s.send('too late');
              handlersDone++;
            },
          },
        ],
      );
      const sockets: Socket[] = [];
      try {
        const u = new URL(t.url);
        const head = (path: string) =>
          `GET ${path} HTTP/1.1\r\n${Object.entries(upgradeHeaders(u.host))
            .map(([k, v]) => `${k}: ${v}`)
            .join('\r\n')}\r\n\r\n`;
        for (let i = 0; i < 10; i++) {
          const s = connect(Number(u.port), u.hostname);
          s.on('error', () => {});
          sockets.push(s);
          s.once('connect', () => s.write(head('/room?hold=1')));
        }
        await until(() => inAuth === 10, 'ten handshakes inside authenticate');
        expect(t.gate.stats().pending).toBe(10);
        for (const [i, s] of sockets.entries()) {
          if (i % 2) s.end();
          else s.resetAndDestroy();
        }
        // Five more complete the handshake and vanish at once.
        const quick = await Promise.all(Array.from({ length: 5 }, () => rawWebSocket(t, '/room')));
        for (const s of quick) s.resetAndDestroy();
        await until(() => handlersDone === 5, 'the late handlers to finish');
        await until(() => t.gate.stats().pending === 0 && t.gate.sessions.size === 0, 'everything released');
        expect(counters(t)).toEqual(zero);
        expect(t.gate.topicMembers('room:leak').size).toBe(0);
        expect(t.gate.stats().accepted).toBe(5);
        expect(errors).toEqual([]);
        await until(() => timers.pending().every((x) => !WSGATE_TIMER_MS.includes(x.ms)), 'timers to go');
      } finally {
        for (const s of sockets) s.destroy();
        timers.stop();
        await t.close();
      }
    });

    it('a throwing message or close listener closes only its own session (1011, onError) while other conversations go on', async () => {
      const errors: Array<{ message: string; phase: string }> = [];
      const t = await target.start(
        {
          onError: (err: unknown, ctx: { phase: string }) =>
            errors.push({ message: (err as Error).message, phase: ctx.phase }),
        },
        [
          echo,
          {
            path: '/buggy',
            handler: (s: Session) => {
              s.on('message', (m) => {
                if (m === 'bug') throw new Error('listener bug');
                s.send(m);
              });
              s.on('close', () => {
                throw new Error('close listener bug');
              });
            },
          },
        ],
      );
      try {
        const others = await Promise.all(Array.from({ length: 4 }, () => openClient(`${t.wsUrl}/echo`)));
        const buggy = await openClient(`${t.wsUrl}/buggy`);
        buggy.send('fine');
        expect(await nextMessage(buggy)).toBe('fine');
        const talking = others.map((ws, i) => converse(ws, `c${i}`, 30));
        buggy.send('bug');
        const code = (await closed(buggy)).code;
        await Promise.all(talking);
        expect(code).toBe(1011);
        await until(() => errors.length >= 2, 'the close listener to have run');
        expect(errors).toEqual([
          { message: 'listener bug', phase: 'handler' },
          { message: 'close listener bug', phase: 'handler' },
        ]);
        expect(t.gate.sessions.size).toBe(4);
        for (const ws of others) ws.close();
        await Promise.all(others.map((ws) => closed(ws)));
      } finally {
        await t.close();
      }
    });

    it('rolling-deploy drain: close({ code: 1012, drain }) spreads the closes over the window; new upgrades get 503 meanwhile', async () => {
      const t = await target.start({ heartbeat: false }, [echo]);
      const window = 600;
      try {
        const n = 30;
        const clients = await Promise.all(Array.from({ length: n }, () => openClient(`${t.wsUrl}/echo`)));
        await until(() => t.gate.sessions.size === n, 'every session open');
        // When the server sends each close, not when a client reads it: a loaded machine delivers late and
        // in bursts, but the server cannot send a close before its slot (the schedule is what is tested).
        const sent: number[] = [];
        for (const s of t.gate.sessions) {
          const close = s.close.bind(s);
          s.close = (code?: number, reason?: string) => {
            sent.push(performance.now());
            close(code, reason);
          };
        }
        let received = 0;
        const results = clients.map((ws) =>
          closed(ws).then((c) => {
            received++;
            return c;
          }),
        );
        const started = performance.now();
        const closing = t.gate.close({ code: 1012, drain: window, timeout: 2_000 });
        await until(() => received >= 1, 'the first close');
        const refused = await rawRequest(`${t.url}/echo`);
        expect(refused.status).toBe(503);
        expect(refused.headers['retry-after']).toBeDefined();
        for (const r of await Promise.all(results))
          expect(r).toEqual({ code: 1012, reason: 'server restarting' });
        await closing;
        expect(sent).toHaveLength(n);
        // Spread, not a burst: close i of n is sent no earlier than window * i / n after close() (1 ms for
        // Date.now()'s granularity), so the last one is at least (n - 1) / n of the window after the first...
        for (const [i, at] of sent.entries())
          expect(at - started).toBeGreaterThanOrEqual((window * i) / n - 1);
        // ...and every one is sent within the window (plus a loaded machine's timer slack).
        expect(Math.max(...sent) - started).toBeLessThan(window + 1_000);
        expect(counters(t)).toEqual(zero);
      } finally {
        await t.close();
      }
    });

    it('close({ drain }) is validated up front', async () => {
      const t = await target.start({}, [echo]);
      try {
        expect(() => t.gate.close({ drain: -1 })).toThrow(TypeError);
        expect(() => t.gate.close({ drain: Number.NaN })).toThrow(TypeError);
        expect(t.gate.closing).toBe(false);
        const ws = await openClient(`${t.wsUrl}/echo`);
        await converse(ws, 'still open', 1);
        ws.close();
      } finally {
        await t.close();
      }
    });
  });
}
