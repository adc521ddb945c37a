import type { Session } from '@wsgate/core';
import { describe, expect, it } from 'vitest';
import { frame, Op, RawSocket } from '../support/frames.ts';
import { closed, collect, openClient, until, WebSocket } from '../support/ws.ts';
import type { ConformanceTarget } from './target.ts';

type AnySession = Session<any>;

/** Whether `m` is exactly `big` (vitest's deep equality walks a large Buffer byte by byte, slowly). */
function same(m: string | Buffer | undefined, big: Buffer): boolean {
  return Buffer.isBuffer(m) && m.equals(big);
}

/** Bytes of received messages the session holds for its consumers (what limits.inbound bounds). */
function inboundBytes(s: AnySession | undefined): number {
  return (s as unknown as { _inboundBytes?: number } | undefined)?._inboundBytes ?? 0;
}

function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

/** The client's TCP socket, for pausing reads to play a client that stopped reading. */
function tcp(ws: WebSocket): import('node:net').Socket {
  return (ws as unknown as { _socket: import('node:net').Socket })._socket;
}

/** Whether wsgate holds the session's socket paused (what heartbeat and the tests key on). */
function paused(s: AnySession | undefined): boolean {
  return (s as unknown as { _pausedByGate?: boolean } | undefined)?._pausedByGate === true;
}

/**
 * Resource bounds that hold per session whatever the peer or the handler does: received bytes a slow
 * consumer has not taken, the heartbeat's wait for a late pong, and a single outbound message larger than
 * the backpressure limit.
 */
export function flowSuite(target: ConformanceTarget): void {
  describe(`${target.name}: flow bounds`, () => {
    it('a slow for-await consumer holds at most limits.inbound + one maxPayload, then TCP pushes back', async () => {
      const inbound = 256 * 1024;
      const maxPayload = 128 * 1024;
      const size = 32 * 1024;
      const count = 96; // 3 MiB: twelve times the bound, far fewer than the 256-message count bound
      const go = latch();
      let session: AnySession | undefined;
      let received = 0;
      let taken = 0;
      let held = 0;
      const order: number[] = [];
      const t = await target.start({ maxPayload, limits: { inbound, messages: false } }, [
        {
          path: '/slow',
          handler: async (s) => {
            session = s;
            // Counts arrivals without buffering (a plain listener), beside the iterator that buffers.
            s.on('message', (m) => {
              received += m.length;
              held = Math.max(held, received - taken);
            });
            for await (const m of s) {
              await go.promise;
              taken += m.length;
              order.push((m as Buffer)[0]!);
            }
          },
        },
      ]);
      try {
        const ws = await openClient(`${t.wsUrl}/slow`);
        for (let i = 0; i < count; i++) ws.send(Buffer.alloc(size, i));
        // Either wsgate stops reading at the bound, or (without a byte bound) everything is buffered.
        await until(
          () => paused(session) || received === count * size,
          'the bound or the whole flood',
          15_000,
        );
        expect(held).toBeLessThanOrEqual(inbound + maxPayload);
        expect(received).toBeLessThan(count * size);
        go.open();
        await until(() => taken === count * size, 'the consumer to take everything', 15_000);
        expect(order).toEqual(Array.from({ length: count }, (_, i) => i));
        expect(held).toBeLessThanOrEqual(inbound + maxPayload);
        ws.close();
      } finally {
        await t.close();
      }
    });

    it('heartbeat.timeout is honoured when longer than the interval: a late pong keeps the peer, none ends it', async () => {
      const interval = 100;
      const timeout = 600;
      const t = await target.start({ heartbeat: { interval, timeout } }, [
        { path: '/idle', handler: () => {} },
      ]);
      try {
        // Answers every ping 3 intervals late, well within the timeout.
        const late = await openClient(`${t.wsUrl}/idle`, { autoPong: false });
        let pings = 0;
        late.on('ping', (data) => {
          pings++;
          setTimeout(() => late.readyState === WebSocket.OPEN && late.pong(data), 3 * interval);
        });
        const silent = await openClient(`${t.wsUrl}/idle`, { autoPong: false });
        let firstPing = 0;
        silent.once('ping', () => {
          firstPing = performance.now();
        });
        const ended = closed(silent);
        await until(
          () => pings >= 15 || late.readyState !== WebSocket.OPEN,
          'fifteen heartbeat rounds',
          10_000,
        );
        expect(late.readyState).toBe(WebSocket.OPEN);
        // The silent peer is ended, and not before the timeout has passed since the ping it ignored.
        expect((await ended).code).toBe(1006);
        expect(performance.now() - firstPing).toBeGreaterThanOrEqual(timeout - 20);
        expect(late.readyState).toBe(WebSocket.OPEN);
        late.close();
      } finally {
        await t.close();
      }
    });

    it('one message larger than backpressure.limit reaches a reading client through send and sendJson', async () => {
      const limit = 64 * 1024;
      const big = Buffer.alloc(4 * limit, 7);
      const text = 'x'.repeat(4 * limit);
      const t = await target.start({ backpressure: { highWaterMark: 16 * 1024, limit } }, [
        {
          path: '/big',
          handler: (s) => {
            s.on('message', async (m) => {
              if (m === 'send') s.send(big);
              else if (m === 'json') s.sendJson({ text });
              else if (m === 'paced') {
                // A producer that honours drain: each oversized message waits for the client to read.
                for (let i = 0; i < 5; i++) {
                  if (!s.send(big)) await new Promise<void>((r) => s.once('drain', r));
                }
              }
            });
          },
        },
      ]);
      try {
        const ws = await openClient(`${t.wsUrl}/big`);
        ws.send('send');
        expect(same((await collect(ws, 1))[0], big)).toBe(true);
        ws.send('json');
        expect(JSON.parse((await collect(ws, 1))[0] as string)).toEqual({ text });
        ws.send('paced');
        const five = await collect(ws, 5);
        expect(five.every((m) => same(m, big))).toBe(true);
        expect(t.gate.stats().slowConsumers).toEqual({ closed: 0, dropped: 0 });
        expect(ws.readyState).toBe(WebSocket.OPEN);
        ws.close();
      } finally {
        await t.close();
      }
    });

    it('a publish larger than backpressure.limit reaches every reading subscriber; one that stopped reading gets 1013', async () => {
      const limit = 64 * 1024;
      const big = Buffer.alloc(4 * limit, 9);
      const t = await target.start({ backpressure: { highWaterMark: 16 * 1024, limit } }, [
        {
          path: '/room',
          handler: (s) => {
            s.subscribe('room');
            s.on('message', (m) => {
              if (m === 'publish') s.publish('room', big);
            });
            s.send('joined');
          },
        },
      ]);
      try {
        const members = await Promise.all(Array.from({ length: 20 }, () => openClient(`${t.wsUrl}/room`)));
        for (const ws of members) expect(await collect(ws, 1)).toEqual(['joined']);
        t.gate.publish('room', big);
        for (const ws of members) expect(same((await collect(ws, 1))[0], big)).toBe(true);
        // From a session too: every member but the publisher.
        members[0]!.send('publish');
        for (const ws of members.slice(1)) expect(same((await collect(ws, 1))[0], big)).toBe(true);
        expect(members.every((ws) => ws.readyState === WebSocket.OPEN)).toBe(true);
        expect(t.gate.stats().slowConsumers.closed).toBe(0);
        // 1013 still means what it says: a member that stopped reading is closed once more than the limit
        // waits for it (after the kernel's buffers filled), and only it. Two members keep this quick.
        for (const ws of members.slice(2)) ws.close();
        await until(() => t.gate.sessions.size === 2, 'the other members to leave');
        const [reader, stalled] = [members[0]!, members[1]!];
        tcp(stalled).pause();
        for (let i = 0; i < 400 && t.gate.stats().slowConsumers.closed === 0; i++) {
          t.gate.publish('room', big);
          await collect(reader, 1);
        }
        expect(t.gate.stats().slowConsumers.closed).toBe(1);
        tcp(stalled).resume();
        expect((await closed(stalled)).code).toBe(1013);
        expect(reader.readyState).toBe(WebSocket.OPEN);
        reader.close();
      } finally {
        await t.close();
      }
    });

    it('a peer that floods pings and never reads cannot grow our pongs past backpressure.limit (1013)', async () => {
      const limit = 64 * 1024;
      let maxBuffered = 0;
      let session: AnySession | undefined;
      const t = await target.start({ backpressure: { highWaterMark: 16 * 1024, limit } }, [
        {
          path: '/ping',
          handler: (s) => {
            session = s;
          },
        },
      ]);
      try {
        const raw = await RawSocket.open(`${t.url}/ping`);
        raw.socket.pause();
        // 512 pings of 125 bytes per write: each asks for a 127-byte pong the client never reads.
        const burst = Buffer.concat(
          Array.from({ length: 512 }, () => frame({ opcode: Op.ping, payload: Buffer.alloc(125, 1) })),
        );
        const cap = 16 * 1024 * 1024; // without a bound, stop here: past what the kernel's buffers hold
        const deadline = Date.now() + 10_000; // and fail with the numbers rather than the test's timeout
        for (
          let sent = 0;
          sent < cap && Date.now() < deadline && t.gate.stats().slowConsumers.closed === 0;
          sent += burst.length
        ) {
          if (!raw.socket.write(burst)) await new Promise((r) => raw.socket.once('drain', r));
          maxBuffered = Math.max(maxBuffered, session?.bufferedAmount ?? 0);
        }
        expect(t.gate.stats().slowConsumers.closed).toBe(1);
        // One pong past the limit at most, plus the close frame.
        expect(maxBuffered).toBeLessThanOrEqual(limit + 256);
        raw.socket.destroy();
      } finally {
        await t.close();
      }
    });

    it('a session paused for a slow iterator completes close() promptly while the peer keeps sending', async () => {
      const inbound = 64 * 1024;
      let session: AnySession | undefined;
      let allowed = 0;
      let taken = 0;
      let done = false;
      const t = await target.start({ closeTimeout: 60_000, limits: { inbound, messages: false } }, [
        {
          path: '/slow',
          handler: async (s) => {
            session = s;
            for await (const _ of s) {
              taken++;
              // Still slow after close(): the socket must be read for the close reply all the same.
              await until(() => allowed >= taken || done, 'the test to allow one more', 30_000);
            }
          },
        },
      ]);
      try {
        const ws = await openClient(`${t.wsUrl}/slow`);
        for (let i = 0; i < 200; i++) ws.send(Buffer.alloc(16 * 1024, i));
        await until(() => paused(session), 'the bound to pause the socket');
        // Taken one by one until just below the bound: still paused (reading resumes at half of it).
        while (inboundBytes(session) >= inbound) {
          allowed++;
          await until(() => taken >= allowed, 'one more taken');
        }
        expect(paused(session)).toBe(true);
        const code = closed(ws);
        session!.close(1000, 'bye');
        // closeTimeout is far beyond the test's: this passes only if the closing handshake completes.
        expect((await code).code).toBe(1000);
      } finally {
        done = true;
        await t.close();
      }
    });
  });
}
