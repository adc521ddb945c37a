import type { Duplex } from 'node:stream';
import type { Logger, Session } from '@wsgate/core';
import { describe, expect, it } from 'vitest';
import { frame, Op } from '../support/frames.ts';
import {
  crashWatch,
  observeUpgrades,
  plainGet,
  rawClient,
  responses,
  upgradeRequest,
} from '../support/upgrades.ts';
import { nextMessage, openClient, until } from '../support/ws.ts';
import type { ConformanceTarget, StartedTarget } from './target.ts';

const echo = { path: '/echo', handler: (s: Session) => void s.on('message', (m) => s.send(m)) };
const zero = { pending: 0, perIp: 0, sessions: 0, topics: 0 };
const counters = (t: StartedTarget) => (t.gate as unknown as { _counters(): typeof zero })._counters();

/** A logger that keeps every line, with its level. */
function captureLogger(): { logger: Logger; lines: Array<{ level: string; text: string }> } {
  const lines: Array<{ level: string; text: string }> = [];
  const at =
    (level: string) =>
    (o: unknown, m?: string): void =>
      void lines.push({ level, text: `${m ?? ''} ${safeJson(o)}` });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

function safeJson(value: unknown): string {
  try {
    return typeof value === 'string'
      ? value
      : JSON.stringify(value, (_k, v) => (v instanceof Error ? `${v.name}: ${v.message}` : v));
  } catch {
    return String(value);
  }
}

/** The gate still serves: a fresh client gets its echo. */
async function stillServes(t: StartedTarget): Promise<void> {
  const ws = await openClient(`${t.wsUrl}/echo`);
  ws.send('alive');
  expect(await nextMessage(ws)).toBe('alive');
  ws.close();
}

/** Waits for a server-side socket to close, then for the turn its error (if any) would surface in. */
async function gone(socket: Duplex): Promise<void> {
  if (!socket.destroyed) await new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
}

/**
 * What a client can do to the upgrade pipeline from a raw socket: reset at every stage, half-written and
 * pipelined requests, racing the limits. Bounded in count and time, loopback only. Nothing may crash the
 * process, leak a counter, overshoot a limit, log client behaviour as a server error, or echo a URL.
 */
export function reliabilitySuite(target: ConformanceTarget): void {
  describe(`${target.name}: reliability`, () => {
    it('a reset on an upgrade the gate declines, leaves to another listener or ignores never raises an unhandled error', async () => {
      const watch = crashWatch();
      const errors: unknown[] = [];
      const t = await target.start(
        {
          onError: (e: unknown) => errors.push(e),
          handshakeTimeout: 4_000,
          shouldHandle: (req) => !req.url?.startsWith('/other/'),
        },
        [echo],
      );
      const upgrades = observeUpgrades(t.server);
      try {
        // Declined by shouldHandle, nobody else listening: held for the late 404.
        for (const leave of ['rst', 'fin'] as const) {
          const c = await rawClient(t.url);
          c.socket.write(upgradeRequest(t.url, '/other/held'));
          const n = upgrades.length;
          await until(() => upgrades.length > n, 'the upgrade to reach the server');
          if (leave === 'rst') c.socket.resetAndDestroy();
          else c.socket.end();
          await gone(upgrades.at(-1)!);
        }
        // Declined, and another listener holds it (as socket.io does before it has looked at it).
        const held: Duplex[] = [];
        const other = (_req: unknown, socket: Duplex) => void held.push(socket);
        t.server.on('upgrade', other);
        const c = await rawClient(t.url);
        c.socket.write(upgradeRequest(t.url, '/other/taken'));
        await until(() => held.length === 1, 'the other listener to hold the socket');
        c.socket.resetAndDestroy();
        await gone(held[0]!);
        t.server.off('upgrade', other);
        await stillServes(t);
        expect(watch.stop()).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        watch.stop();
        await t.close();
      }
    });

    it("unmatched: 'ignore' (core; adapters refuse the option): a reset on the ignored socket never crashes", async () => {
      const watch = crashWatch();
      let t: StartedTarget;
      try {
        t = await target.start({ unmatched: 'ignore', handshakeTimeout: 4_000 }, [echo]);
      } catch (err) {
        expect(err).toBeInstanceOf(TypeError);
        watch.stop();
        return;
      }
      const upgrades = observeUpgrades(t.server);
      try {
        const c = await rawClient(t.url);
        c.socket.write(upgradeRequest(t.url, '/nowhere'));
        await until(() => upgrades.length === 1, 'the upgrade to reach the server');
        c.socket.resetAndDestroy();
        await gone(upgrades[0]!);
        await stillServes(t);
        expect(watch.stop()).toEqual([]);
      } finally {
        watch.stop();
        await t.close();
      }
    });

    it('resets and half-closes at every stage (half-written request, inside authenticate, right after the 101, mid-pipeline) leave nothing behind', async () => {
      const watch = crashWatch();
      const errors: unknown[] = [];
      let inAuth = 0;
      const t = await target.start(
        {
          onError: (e: unknown) => errors.push(e),
          handshakeTimeout: 4_000,
          authenticate: (req, { signal }) => {
            if (!req.url?.includes('hold')) return { ok: true };
            inAuth++;
            return new Promise((resolve) => signal.addEventListener('abort', () => resolve({ late: true })));
          },
        },
        [echo],
      );
      try {
        const stages: Array<(leave: 'rst' | 'fin') => Promise<void>> = [
          // Before the request is complete: Node's parser owns the socket, the gate never sees it.
          async (leave) => {
            const c = await rawClient(t.url);
            c.socket.write(upgradeRequest(t.url, '/echo').slice(0, 40));
            leave === 'rst' ? c.socket.resetAndDestroy() : c.socket.end();
            await c.closed;
          },
          // Inside an async authenticate.
          async (leave) => {
            const c = await rawClient(t.url);
            const before = inAuth;
            c.socket.write(upgradeRequest(t.url, '/echo?hold=1'));
            await until(() => inAuth > before, 'the upgrade to be inside authenticate');
            leave === 'rst' ? c.socket.resetAndDestroy() : c.socket.end();
            await c.closed;
          },
          // Right after the 101, with a frame half-written.
          async (leave) => {
            const c = await rawClient(t.url);
            c.socket.write(upgradeRequest(t.url, '/echo'));
            await c.until((x) => x.includes('\r\n\r\n'), 'the 101');
            c.socket.write(frame({ opcode: Op.text, payload: 'cut short' }).subarray(0, 5));
            leave === 'rst' ? c.socket.resetAndDestroy() : c.socket.end();
            await c.closed;
          },
          // A plain GET and an upgrade in one write, gone before reading either answer.
          async (leave) => {
            const c = await rawClient(t.url);
            c.socket.write(plainGet(t.url, '/') + upgradeRequest(t.url, '/echo'));
            leave === 'rst' ? c.socket.resetAndDestroy() : c.socket.end();
            await c.closed;
          },
        ];
        for (const leave of ['rst', 'fin'] as const) {
          await Promise.all(stages.flatMap((stage) => [stage(leave), stage(leave), stage(leave)]));
        }
        await until(
          () => counters(t).pending === 0 && counters(t).sessions === 0,
          'every upgrade and session to be released',
        );
        expect(counters(t)).toEqual(zero);
        await stillServes(t);
        expect(watch.stop()).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        watch.stop();
        await t.close();
      }
    });

    it('a plain GET and an upgrade pipelined on one keep-alive connection: the GET is answered first, then the 101 (or the refusal); nothing is logged as an error', async () => {
      const { logger, lines } = captureLogger();
      const errors: unknown[] = [];
      const t = await target.start({ logger, onError: (e: unknown) => errors.push(e) }, [echo]);
      try {
        const c = await rawClient(t.url);
        c.socket.write(plainGet(t.url, '/') + upgradeRequest(t.url, '/echo'));
        await c.until((x) => responses(x).at(-1)?.status === 101, 'the 101 after the GET');
        const [page, upgraded] = responses(c.text);
        expect(page).toMatchObject({ status: 200, body: 'plain http' });
        expect(upgraded?.status).toBe(101);
        c.socket.write(frame({ opcode: Op.text, payload: 'over the same connection' }));
        await c.until((x) => x.includes('over the same connection'), 'the echo');
        c.socket.end();

        // Two GETs ahead, then an upgrade no route takes: both pages, then the 404 on a closed socket.
        const d = await rawClient(t.url);
        d.socket.write(plainGet(t.url, '/') + plainGet(t.url, '/') + upgradeRequest(t.url, '/missing'));
        await d.closed;
        const answers = responses(d.text);
        expect(answers.map((a) => a.status)).toEqual([200, 200, 404]);
        expect(answers[0]?.body).toBe('plain http');
        expect(answers[1]?.body).toBe('plain http');
        expect(errors).toEqual([]);
        expect(lines.filter((l) => l.level === 'error')).toEqual([]);
        await until(() => counters(t).pending === 0, 'the refused upgrade to be released');
      } finally {
        await t.close();
      }
    });

    it.each([
      ['connections', 503],
      ['connectionsPerIp', 429],
    ] as const)(
      'limits.%s counts handshakes in progress: concurrent upgrades behind an async authenticate never overshoot it (%i beyond)',
      async (limit, status) => {
        const LIMIT = 3;
        const CLIENTS = 12;
        let release!: () => void;
        const released = new Promise<void>((r) => {
          release = r;
        });
        let inAuth = 0;
        let most = 0;
        const t = await target.start(
          {
            limits: { [limit]: LIMIT },
            authenticate: async () => {
              inAuth++;
              await released;
              return { ok: true };
            },
          },
          [echo],
        );
        t.gate.on('open', () => {
          most = Math.max(most, t.gate.sessions.size);
        });
        const clients = await Promise.all(Array.from({ length: CLIENTS }, () => rawClient(t.url)));
        try {
          for (const c of clients) c.socket.write(upgradeRequest(t.url, '/echo'));
          // Everything beyond the limit is refused while the first ones are still inside authenticate.
          const refusals = clients.map((c) =>
            c.until((x) => x.includes('\r\n\r\n'), 'an answer').then((x) => responses(x)[0]),
          );
          // A failed run destroys the clients in `finally`: no unhandled rejection on top of the failure.
          for (const r of refusals) r.catch(() => {});
          await until(() => (t.gate.stats().rejected[status] ?? 0) === CLIENTS - LIMIT, 'the refusals');
          expect(inAuth).toBe(LIMIT);
          release();
          const answers = await Promise.all(refusals);
          expect(answers.filter((a) => a?.status === 101)).toHaveLength(LIMIT);
          const refused = answers.filter((a) => a?.status === status);
          expect(refused).toHaveLength(CLIENTS - LIMIT);
          for (const a of refused) expect(a?.headers['retry-after']).toBeDefined();
          expect(most).toBe(LIMIT);
          expect(t.gate.sessions.size).toBe(LIMIT);
        } finally {
          release();
          for (const c of clients) c.socket.destroy();
          await t.close();
        }
      },
    );

    it('an upgrade to a plain GET route or to no route never echoes its ?token= in the answer or a log line', async () => {
      const TOKEN = 'P1P3L1N3-T0K3N-77';
      const { logger, lines } = captureLogger();
      const t = await target.start({ logger }, [echo]);
      try {
        for (const path of ['/', '/nowhere', '/echo/deeper']) {
          const c = await rawClient(t.url);
          c.socket.write(upgradeRequest(t.url, `${path}?token=${TOKEN}&x=1`));
          await c.closed;
          const [answer] = responses(c.text);
          expect(answer?.status, path).not.toBe(101);
          expect(c.text, path).not.toContain(TOKEN);
        }
        expect(lines.map((l) => l.text).join('\n')).not.toContain(TOKEN);
      } finally {
        await t.close();
      }
    });
  });
}
