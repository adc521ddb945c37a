import type { Session } from '@wsgate/core';
import { describe, expect, it } from 'vitest';
import { frame, Op, RawSocket } from '../support/frames.ts';
import { closed, collect, nextMessage, openClient, until, WebSocket } from '../support/ws.ts';
import type { ConformanceTarget, StartedTarget, Tier } from './target.ts';

type AnySession = Session<any>;

/** A promise with its resolve function outside, for handlers that must wait on the test. */
function gateLatch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

/** The client's TCP socket (ws keeps it in `_socket`), for pausing reads to play a slow consumer. */
function tcp(ws: WebSocket): import('node:net').Socket {
  return (ws as unknown as { _socket: import('node:net').Socket })._socket;
}

/** The only open session of a gate. */
function onlySession(t: StartedTarget): AnySession {
  const all = [...t.gate.sessions];
  expect(all).toHaveLength(1);
  return all[0]!;
}

/** The Session of DESIGN.md: message delivery, heartbeat, backpressure, limits and close codes. */
export function sessionSuite(target: ConformanceTarget, tier: Tier = 'full'): void {
  // What happens after accept is core's Session whatever the adapter: a 'pipeline' target skips it.
  const afterAccept = tier === 'full' ? it : () => {};
  describe(`${target.name}: sessions`, () => {
    it('messages sent right after open reach an async handler that awaits before listening, in order', async () => {
      const latch = gateLatch();
      const t = await target.start({ limits: { messages: false } }, [
        {
          path: '/late',
          handler: async (s) => {
            await latch.promise;
            s.on('message', (m) => s.send(m));
          },
        },
      ]);
      try {
        const ws = await openClient(`${t.wsUrl}/late`);
        const sent = Array.from({ length: 50 }, (_, i) => `m${i}`);
        for (const m of sent) ws.send(m);
        await until(() => t.gate.stats().messagesIn === sent.length, 'the server to receive every message');
        latch.open();
        expect(await collect(ws, sent.length)).toEqual(sent);
        ws.close();
      } finally {
        await t.close();
      }
    });

    afterAccept(
      'a long queue pauses the socket and loses nothing; an iterator started late sees everything',
      async () => {
        const latch = gateLatch();
        const t = await target.start({ limits: { messages: false } }, [
          {
            path: '/late',
            handler: async (s) => {
              await latch.promise;
              for await (const m of s) s.send(m);
            },
          },
        ]);
        try {
          const ws = await openClient(`${t.wsUrl}/late`);
          const sent = Array.from({ length: 1500 }, (_, i) => `message number ${i}`);
          for (const m of sent) ws.send(m);
          // The queue is bounded: the server stops reading well before the client has sent everything.
          await until(() => t.gate.stats().messagesIn >= 256, 'the queue to fill');
          latch.open();
          expect(await collect(ws, sent.length)).toEqual(sent);
          ws.close();
        } finally {
          await t.close();
        }
      },
    );

    it('a handler that throws or rejects closes that session with 1011 and reaches onError; others are served', async () => {
      const errors: Array<{ err: unknown; phase: string; session: unknown }> = [];
      const t = await target.start(
        { onError: (err, ctx) => errors.push({ err, phase: ctx.phase, session: ctx.session }) },
        [
          {
            path: '/throw',
            handler: () => {
              throw new Error('sync boom');
            },
          },
          {
            path: '/reject',
            handler: async (s) => {
              await Promise.resolve();
              s.on('message', () => {});
              throw new Error('async boom');
            },
          },
          { path: '/echo', handler: (s) => s.on('message', (m) => s.send(m)) },
        ],
      );
      try {
        const a = await openClient(`${t.wsUrl}/throw`);
        expect((await closed(a)).code).toBe(1011);
        const b = await openClient(`${t.wsUrl}/reject`);
        expect((await closed(b)).code).toBe(1011);
        expect(errors.map((e) => (e.err as Error).message)).toEqual(['sync boom', 'async boom']);
        expect(errors.every((e) => e.phase === 'handler' && e.session !== undefined)).toBe(true);
        const c = await openClient(`${t.wsUrl}/echo`);
        c.send('still serving');
        expect(await nextMessage(c)).toBe('still serving');
        c.close();
      } finally {
        await t.close();
      }
    });

    it('frames sent in the same TCP write as the upgrade request reach a sync and an async handler, in order', async () => {
      const t = await target.start({}, [
        { path: '/sync', handler: (s) => s.on('message', (m) => s.send(`sync ${m}`)) },
        {
          path: '/async',
          handler: async (s) => {
            await new Promise((r) => setImmediate(r));
            s.on('message', (m) => s.send(`async ${m}`));
          },
        },
      ]);
      try {
        for (const kind of ['sync', 'async']) {
          const first = Buffer.concat(
            ['one', 'two', 'three'].map((p) => frame({ opcode: Op.text, payload: p })),
          );
          const raw = await RawSocket.open(`${t.url}/${kind}`, { first });
          const got: string[] = [];
          for (let i = 0; i < 3; i++) got.push(String((await raw.next())?.payload));
          expect(got).toEqual([`${kind} one`, `${kind} two`, `${kind} three`]);
          raw.socket.destroy();
        }
      } finally {
        await t.close();
      }
    });

    afterAccept('heartbeat: a peer that never answers pings is terminated; a live one is kept', async () => {
      const t = await target.start({ heartbeat: { interval: 150, timeout: 150 } }, [
        { path: '/idle', handler: () => {} },
      ]);
      try {
        const live = await openClient(`${t.wsUrl}/idle`);
        let pings = 0;
        live.on('ping', () => pings++);
        const dead = await openClient(`${t.wsUrl}/idle`, { autoPong: false });
        expect((await closed(dead)).code).toBe(1006);
        const seen = pings;
        await until(() => pings >= seen + 3, 'three more heartbeat rounds');
        expect(live.readyState).toBe(WebSocket.OPEN);
        expect(t.gate.sessions.size).toBe(1);
        live.close();
      } finally {
        await t.close();
      }
    });

    afterAccept(
      'heartbeat: a socket wsgate holds paused (handler not listening yet) is not reaped',
      async () => {
        const latch = gateLatch();
        const t = await target.start(
          { heartbeat: { interval: 150, timeout: 150 }, limits: { messages: false } },
          [
            {
              path: '/slow',
              handler: async (s) => {
                await latch.promise;
                s.on('message', (m) => s.send(m));
              },
            },
            { path: '/idle', handler: () => {} },
          ],
        );
        try {
          const ws = await openClient(`${t.wsUrl}/slow`);
          const sent = Array.from({ length: 1500 }, (_, i) => `queued ${i}`);
          for (const m of sent) ws.send(m);
          await until(() => t.gate.stats().messagesIn >= 256, 'the queue to fill and the socket to pause');
          // A second client counts heartbeat rounds: several reap deadlines pass while the first is paused.
          const probe = await openClient(`${t.wsUrl}/idle`);
          let pings = 0;
          probe.on('ping', () => pings++);
          await until(() => pings >= 4, 'four heartbeat rounds');
          expect(ws.readyState).toBe(WebSocket.OPEN);
          latch.open();
          expect(await collect(ws, sent.length)).toEqual(sent);
          ws.close();
          probe.close();
        } finally {
          await t.close();
        }
      },
    );

    afterAccept(
      'heartbeat: a peer that resets while wsgate holds its socket paused is noticed by the next ping',
      async () => {
        const t = await target.start(
          { heartbeat: { interval: 100, timeout: 100 }, limits: { messages: false } },
          // A handler that never settles and never listens: wsgate queues, then pauses the socket.
          [{ path: '/stuck', handler: () => new Promise<void>(() => {}) }],
        );
        try {
          const ws = await openClient(`${t.wsUrl}/stuck`);
          for (let i = 0; i < 1500; i++) ws.send(`queued ${i}`);
          await until(() => t.gate.stats().messagesIn >= 256, 'the queue to fill and the socket to pause');
          // A paused socket is not read, so its reset shows only when something is written to it: the ping.
          tcp(ws).resetAndDestroy();
          await until(() => t.gate.sessions.size === 0, 'the session of the vanished peer to be released');
          expect(t.gate.stats().open).toBe(0);
        } finally {
          await t.close();
        }
      },
    );

    for (const policy of ['close', 'drop'] as const) {
      afterAccept(
        `backpressure '${policy}': a client that stops reading cannot grow server memory past the limit`,
        async () => {
          const limit = 256 * 1024;
          const chunk = Buffer.alloc(16 * 1024, 1);
          let maxBuffered = 0;
          let attempts = 0;
          let stopped = false;
          const t = await target.start({ closeTimeout: 30_000, backpressure: { limit, policy } }, [
            {
              path: '/flood',
              handler: (s) => {
                s.on('message', async () => {
                  // Ignore send()'s false on purpose: this is the misbehaving app the limit protects against.
                  while (s.readyState === 1 && !stopped) {
                    for (let i = 0; i < 16; i++) {
                      attempts++;
                      s.send(chunk);
                      maxBuffered = Math.max(maxBuffered, s.bufferedAmount);
                    }
                    // Without a working limit memory grows without bound: stop early so the test fails fast.
                    if (maxBuffered > 4 * limit) stopped = true;
                    await new Promise((r) => setImmediate(r));
                  }
                });
              },
            },
          ]);
          try {
            const ws = await openClient(`${t.wsUrl}/flood`);
            tcp(ws).pause();
            ws.send('go');
            if (policy === 'close') {
              await until(
                () => t.gate.stats().slowConsumers.closed === 1 || stopped,
                'the slow consumer to be closed',
                15_000,
              );
            } else {
              await until(
                () => t.gate.stats().slowConsumers.dropped > 100 || stopped,
                'messages to be dropped',
                15_000,
              );
              expect(maxBuffered).toBeLessThan(limit + chunk.length);
              expect(onlySession(t).readyState).toBe(1);
              stopped = true;
            }
            // Frame headers may add a few bytes per message; never another chunk.
            expect(maxBuffered).toBeLessThan(limit + chunk.length);
            tcp(ws).resume();
            if (policy === 'close') {
              expect((await closed(ws)).code).toBe(1013);
            } else {
              const s = onlySession(t);
              await until(() => s.bufferedAmount === 0, 'the client to catch up', 15_000);
              s.send('still open');
              // Everything delivered was whole; what was dropped was counted rather than buffered.
              const delivered = attempts - t.gate.stats().slowConsumers.dropped;
              const all = await collect(ws, delivered + 1);
              expect(all.at(-1)).toBe('still open');
              expect(all.slice(0, -1).every((m) => Buffer.isBuffer(m) && m.length === chunk.length)).toBe(
                true,
              );
              ws.close();
            }
          } finally {
            stopped = true;
            await t.close();
          }
        },
      );
    }

    afterAccept(
      "send() returns false above highWaterMark and 'drain' follows once the client reads",
      async () => {
        const highWaterMark = 32 * 1024;
        const chunk = Buffer.alloc(16 * 1024, 2);
        let sentUntilFalse = 0;
        let bufferedAtFalse = 0;
        const drained = gateLatch();
        const t = await target.start({ backpressure: { highWaterMark, limit: 256 * 1024 * 1024 } }, [
          {
            path: '/fill',
            handler: (s) => {
              s.on('drain', () => {
                s.send('after drain');
                drained.open();
              });
              s.on('message', async () => {
                for (;;) {
                  sentUntilFalse++;
                  if (!s.send(chunk)) break;
                  // Give the kernel buffers a chance to fill, as a real producer would.
                  if (sentUntilFalse % 8 === 0) await new Promise((r) => setImmediate(r));
                }
                bufferedAtFalse = s.bufferedAmount;
              });
            },
          },
        ]);
        try {
          const ws = await openClient(`${t.wsUrl}/fill`);
          tcp(ws).pause();
          ws.send('go');
          await until(() => bufferedAtFalse > 0, 'send() to return false', 15_000);
          expect(bufferedAtFalse).toBeGreaterThan(highWaterMark);
          tcp(ws).resume();
          await drained.promise;
          const all = await collect(ws, sentUntilFalse + 1);
          expect(all.at(-1)).toBe('after drain');
          ws.close();
        } finally {
          await t.close();
        }
      },
    );

    afterAccept('message rate limit: a burst over the token bucket closes with 1008', async () => {
      const t = await target.start({ limits: { messages: { rate: 1, burst: 5 } } }, [
        { path: '/echo', handler: (s) => s.on('message', (m) => s.send(m)) },
      ]);
      try {
        const ok = await openClient(`${t.wsUrl}/echo`);
        for (let i = 0; i < 5; i++) ok.send(`ok${i}`);
        expect(await collect(ok, 5)).toEqual(['ok0', 'ok1', 'ok2', 'ok3', 'ok4']);
        ok.close();
        const flood = await openClient(`${t.wsUrl}/echo`);
        for (let i = 0; i < 20; i++) flood.send(`x${i}`);
        const c = await closed(flood);
        expect(c.code).toBe(1008);
      } finally {
        await t.close();
      }
    });

    afterAccept(
      'maxPayload: a larger message closes with 1009, also when it only inflates past the limit',
      async () => {
        const t = await target.start({ maxPayload: 1024, perMessageDeflate: true }, [
          { path: '/echo', handler: (s) => s.on('message', (m) => s.send(m)) },
        ]);
        try {
          const fits = await openClient(`${t.wsUrl}/echo`, { perMessageDeflate: false });
          fits.send('x'.repeat(1024));
          expect(await nextMessage(fits)).toBe('x'.repeat(1024));
          fits.send(Buffer.alloc(1025));
          expect((await closed(fits)).code).toBe(1009);

          const zipped = await openClient(`${t.wsUrl}/echo`, { perMessageDeflate: true });
          expect(zipped.extensions).toMatch(/permessage-deflate/);
          // 100 kB of one letter deflates to a few hundred bytes on the wire: only inflating reveals the size.
          zipped.send('a'.repeat(100_000));
          expect((await closed(zipped)).code).toBe(1009);
        } finally {
          await t.close();
        }
      },
    );

    afterAccept('protocol errors keep raw ws codes: invalid UTF-8 in a text frame is 1007', async () => {
      const t = await target.start({}, [
        { path: '/echo', handler: (s) => s.on('message', (m) => s.send(m)) },
      ]);
      try {
        const ws = await openClient(`${t.wsUrl}/echo`);
        ws.send(Buffer.from([0xc3, 0x28]), { binary: false });
        expect((await closed(ws)).code).toBe(1007);
      } finally {
        await t.close();
      }
    });

    afterAccept('protocol errors keep raw ws codes: an unmasked client frame is 1002', async () => {
      const t = await target.start({}, [
        { path: '/echo', handler: (s) => s.on('message', (m) => s.send(m)) },
      ]);
      try {
        const ws = await openClient(`${t.wsUrl}/echo`);
        // A text frame "hi" without the mask bit, written under ws's framing.
        tcp(ws).write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
        expect((await closed(ws)).code).toBe(1002);
      } finally {
        await t.close();
      }
    });

    afterAccept(
      "'error' is emitted only when listened to; otherwise it is logged and nothing throws",
      async () => {
        const seen: Error[] = [];
        const logged: string[] = [];
        const log = (o: object, m?: string) => logged.push(`${m ?? ''} ${JSON.stringify(o)}`);
        const t = await target.start({ logger: { debug: log, info: log, warn: log, error: log } }, [
          {
            path: '/listening',
            handler: (s) => {
              s.on('error', (err) => seen.push(err));
              s.on('message', () => {});
            },
          },
          { path: '/deaf', handler: (s) => s.on('message', () => {}) },
        ]);
        try {
          const a = await openClient(`${t.wsUrl}/listening`);
          a.send(Buffer.from([0xff]), { binary: false });
          expect((await closed(a)).code).toBe(1007);
          await until(() => seen.length === 1, "the session's error listener");
          expect(seen[0]).toBeInstanceOf(Error);
          const b = await openClient(`${t.wsUrl}/deaf`);
          b.send(Buffer.from([0xff]), { binary: false });
          expect((await closed(b)).code).toBe(1007);
          await until(() => logged.some((l) => /protocol error/.test(l)), 'the protocol error to be logged');
          expect(seen).toHaveLength(1);
        } finally {
          await t.close();
        }
      },
    );

    afterAccept(
      'text arrives as string, binary as Buffer; send() and sendJson() frame them the same way',
      async () => {
        const kinds: string[] = [];
        const t = await target.start({}, [
          {
            path: '/kinds',
            handler: (s) =>
              s.on('message', (m) => {
                kinds.push(typeof m === 'string' ? 'string' : Buffer.isBuffer(m) ? 'Buffer' : 'other');
                if (typeof m === 'string' && m === 'json') s.sendJson({ ok: true, n: [1, 2] });
                else if (typeof m === 'string' && m === 'views') {
                  s.send(new Uint8Array([1, 2, 3]));
                  s.send(new Uint8Array([4, 5]).buffer);
                } else s.send(m);
              }),
          },
        ]);
        try {
          const ws = await openClient(`${t.wsUrl}/kinds`);
          ws.send('héllo');
          ws.send(Buffer.from([0, 1, 2]));
          ws.send('json');
          ws.send('views');
          const [text, bin, json, u8, ab] = await collect(ws, 5);
          expect(text).toBe('héllo');
          expect(Buffer.isBuffer(bin) && [...bin]).toEqual([0, 1, 2]);
          expect(JSON.parse(json as string)).toEqual({ ok: true, n: [1, 2] });
          expect(Buffer.isBuffer(u8) && [...u8]).toEqual([1, 2, 3]);
          expect(Buffer.isBuffer(ab) && [...ab]).toEqual([4, 5]);
          expect(kinds).toEqual(['string', 'Buffer', 'string', 'string']);
          ws.close();
        } finally {
          await t.close();
        }
      },
    );

    afterAccept(
      'close() validates its code and reason (TypeError) and sends a valid one to the client',
      async () => {
        const thrown: string[] = [];
        const t = await target.start({}, [
          {
            path: '/close',
            handler: (s) => {
              for (const [code, reason] of [
                [999, ''],
                [1005, ''],
                [1006, ''],
                [2000, ''],
                [5000, ''],
                [1000.5, ''],
                [1000, 'x'.repeat(124)],
                [1000, 'é'.repeat(62)],
              ] as const) {
                try {
                  s.close(code, reason);
                } catch (err) {
                  if (err instanceof TypeError) thrown.push(`${code}`);
                }
              }
              s.close(4000, 'r'.repeat(123));
            },
          },
        ]);
        try {
          const ws = await openClient(`${t.wsUrl}/close`);
          const c = await closed(ws);
          expect(c).toEqual({ code: 4000, reason: 'r'.repeat(123) });
          expect(thrown).toEqual(['999', '1005', '1006', '2000', '5000', '1000.5', '1000', '1000']);
        } finally {
          await t.close();
        }
      },
    );

    afterAccept(
      'for await: iterates in order, breaking out leaves the session open, and the loop ends on close',
      async () => {
        const ended = gateLatch();
        const t = await target.start({}, [
          {
            path: '/iter',
            handler: async (s) => {
              for await (const m of s) {
                s.send(`got:${m}`);
                if (m === 'stop') break;
              }
              s.send('after loop');
              s.on('message', (m) => s.send(`listener:${m}`));
            },
          },
          {
            path: '/until-close',
            handler: async (s) => {
              for await (const _ of s) {
                /* drain */
              }
              ended.open();
            },
          },
        ]);
        try {
          const ws = await openClient(`${t.wsUrl}/iter`);
          ws.send('a');
          ws.send('b');
          ws.send('stop');
          expect(await collect(ws, 4)).toEqual(['got:a', 'got:b', 'got:stop', 'after loop']);
          ws.send('c');
          expect(await nextMessage(ws)).toBe('listener:c');
          ws.close();
          const other = await openClient(`${t.wsUrl}/until-close`);
          other.send('x');
          other.close();
          await ended.promise;
        } finally {
          await t.close();
        }
      },
    );

    afterAccept(
      'signal is aborted when the session closes (also when first read after the close)',
      async () => {
        const aborted = gateLatch();
        let late: AbortSignal | undefined;
        const t = await target.start({}, [
          {
            path: '/sig',
            handler: (s) => {
              expect(s.signal.aborted).toBe(false);
              s.signal.addEventListener('abort', () => aborted.open());
              s.on('close', () => {
                late = s.signal;
              });
            },
          },
          {
            path: '/late-signal',
            handler: (s) => {
              s.on('close', () => {
                late = s.signal;
              });
            },
          },
        ]);
        try {
          const ws = await openClient(`${t.wsUrl}/sig`);
          ws.close();
          await aborted.promise;
          late = undefined;
          const ws2 = await openClient(`${t.wsUrl}/late-signal`);
          ws2.close();
          await until(() => late !== undefined, 'the close event');
          expect(late!.aborted).toBe(true);
        } finally {
          await t.close();
        }
      },
    );

    it('exposes params, lazy query, headers, remoteAddress, user and data', async () => {
      const t = await target.start({ authenticate: (req) => ({ name: String(req.headers['x-user']) }) }, [
        {
          path: '/rooms/:room',
          handler: (s) => {
            s.data.visits = 1;
            const first = s.query;
            s.sendJson({
              room: s.params.room,
              a: s.query.get('a'),
              b: s.query.getAll('b'),
              header: s.headers['x-custom'],
              remoteAddress: s.remoteAddress,
              user: s.user,
              data: s.data,
              sameQuery: first === s.query,
              protocol: s.protocol,
              id: typeof s.id === 'string' && s.id.length > 0,
            });
          },
        },
      ]);
      try {
        const ws = await openClient(`${t.wsUrl}/rooms/caf%C3%A9?a=1&b=x&b=y`, {
          headers: { 'X-Custom': 'yes', 'X-User': 'ada' },
        });
        expect(JSON.parse((await nextMessage(ws)) as string)).toEqual({
          room: 'café',
          a: '1',
          b: ['x', 'y'],
          header: 'yes',
          remoteAddress: '127.0.0.1',
          user: { name: 'ada' },
          data: { visits: 1 },
          sameQuery: true,
          protocol: '',
          id: true,
        });
        ws.close();
      } finally {
        await t.close();
      }
    });

    it("stats and gate events count sessions, messages and refusals; gate.on('open'|'close'|'reject'|'error')", async () => {
      const events: string[] = [];
      const t = await target.start({ onError: () => {} }, [
        { path: '/echo', handler: (s) => s.on('message', (m) => s.send(m)) },
        {
          path: '/bad',
          handler: () => {
            throw new Error('bad handler');
          },
        },
      ]);
      t.gate.on('open', () => events.push('open'));
      t.gate.on('close', (_s, code) => events.push(`close:${code}`));
      t.gate.on('reject', (info) => events.push(`reject:${info.status}`));
      t.gate.on('error', (_e, ctx) => events.push(`error:${ctx.phase}`));
      try {
        const ws = await openClient(`${t.wsUrl}/echo`);
        ws.send('abc');
        ws.send(Buffer.alloc(10));
        await collect(ws, 2);
        expect(t.gate.stats()).toMatchObject({
          open: 1,
          accepted: 1,
          messagesIn: 2,
          messagesOut: 2,
          bytesIn: 13,
          bytesOut: 13,
        });
        ws.close(4001);
        await until(() => t.gate.stats().open === 0, 'the session to close');
        await expect(openClient(`${t.wsUrl}/nowhere`)).rejects.toMatchObject({ status: 404 });
        const bad = await openClient(`${t.wsUrl}/bad`);
        await closed(bad);
        await until(() => events.length === 6, 'all events');
        expect(events).toEqual(['open', 'close:4001', 'reject:404', 'open', 'error:handler', 'close:1011']);
        expect(t.gate.stats()).toMatchObject({ open: 0, accepted: 2, rejected: { '404': 1 } });
      } finally {
        await t.close();
      }
    });

    afterAccept(
      'sessions.closeWhere closes the sessions a predicate picks, with the code given',
      async () => {
        const t = await target.start({ authenticate: (req) => ({ name: String(req.headers['x-user']) }) }, [
          { path: '/echo', handler: (s) => s.on('message', (m) => s.send(m)) },
        ]);
        try {
          const ada1 = await openClient(`${t.wsUrl}/echo`, { headers: { 'X-User': 'ada' } });
          const ada2 = await openClient(`${t.wsUrl}/echo`, { headers: { 'X-User': 'ada' } });
          const bob = await openClient(`${t.wsUrl}/echo`, { headers: { 'X-User': 'bob' } });
          await until(() => t.gate.sessions.size === 3, 'three sessions');
          const n = t.gate.sessions.closeWhere(
            (s) => (s.user as { name: string }).name === 'ada',
            4003,
            'logged out',
          );
          expect(n).toBe(2);
          const both = await Promise.all([closed(ada1), closed(ada2)]);
          expect(both).toEqual([
            { code: 4003, reason: 'logged out' },
            { code: 4003, reason: 'logged out' },
          ]);
          bob.send('still here');
          expect(await nextMessage(bob)).toBe('still here');
          expect(t.gate.sessions.size).toBe(1);
          bob.close();
        } finally {
          await t.close();
        }
      },
    );
  });
}
