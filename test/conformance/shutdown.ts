import { type Broker, memoryBroker } from '@wsgate/core';
import { describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw.ts';
import { closed, openClient, until, type WebSocket } from '../support/ws.ts';
import type { ConformanceRoute, ConformanceTarget } from './target.ts';

const echo: ConformanceRoute = { path: '/echo', handler: (s) => s.on('message', (m) => s.send(m)) };

/** The client's TCP socket, paused to play a peer that never answers the close. */
function tcp(ws: WebSocket): import('node:net').Socket {
  return (ws as unknown as { _socket: import('node:net').Socket })._socket;
}

/** `gate.close()`: refuses new upgrades, closes every session with the code, terminates stragglers. */
export function shutdownSuite(target: ConformanceTarget): void {
  describe(`${target.name}: shutdown`, () => {
    it('every session gets the close code and reason; new upgrades get 503; the broker is closed', async () => {
      let brokerClosed = false;
      const inner = memoryBroker();
      const broker: Broker = {
        ...inner,
        close: () => {
          brokerClosed = true;
          return inner.close();
        },
      };
      const t = await target.start({ broker }, [
        { path: '/room', handler: (s) => s.subscribe('room') },
        echo,
      ]);
      try {
        const clients = await Promise.all([0, 1, 2].map(() => openClient(`${t.wsUrl}/room`)));
        clients.push(await openClient(`${t.wsUrl}/echo`));
        await until(() => t.gate.sessions.size === 4, 'four sessions');
        const codes = Promise.all(clients.map((ws) => closed(ws)));
        const done = t.gate.close({ code: 1012, reason: 'restarting', timeout: 10_000 });
        expect(t.gate.close()).toBe(done);
        expect(t.gate.closing).toBe(true);
        const refused = await rawRequest(`${t.url}/echo`);
        expect(refused.status).toBe(503);
        expect(refused.headers['retry-after']).toBeDefined();
        expect(await codes).toEqual(clients.map(() => ({ code: 1012, reason: 'restarting' })));
        await done;
        expect(brokerClosed).toBe(true);
        expect(t.gate.stats()).toMatchObject({ open: 0, topics: 0, accepted: 4 });
        expect(t.gate.stats().rejected['503']).toBe(1);
        expect((t.gate as any)._counters()).toEqual({ pending: 0, perIp: 0, sessions: 0, topics: 0 });
      } finally {
        await t.close();
      }
    });

    it('a peer that never answers the close is terminated after the timeout', async () => {
      const t = await target.start({ closeTimeout: 60_000 }, [echo]);
      const ws = await openClient(`${t.wsUrl}/echo`);
      try {
        const polite = await openClient(`${t.wsUrl}/echo`);
        await until(() => t.gate.sessions.size === 2, 'two sessions');
        tcp(ws).pause();
        const politeClosed = closed(polite);
        // Resolves only if the straggler is terminated: its closing handshake can never complete.
        await t.gate.close({ timeout: 100 });
        expect(t.gate.sessions.size).toBe(0);
        expect((await politeClosed).code).toBe(1001);
        const serverSide = tcp(ws);
        tcp(ws).resume();
        await until(() => serverSide.destroyed || ws.readyState === 3, 'the client to see the end');
      } finally {
        ws.terminate();
        await t.close();
      }
    });

    it('a session wsgate holds paused (handler not listening yet) still completes its close promptly', async () => {
      const never = new Promise<void>(() => {});
      const t = await target.start({ closeTimeout: 60_000, limits: { messages: false } }, [
        {
          path: '/stuck',
          handler: async () => {
            await never;
          },
        },
      ]);
      try {
        const ws = await openClient(`${t.wsUrl}/stuck`);
        for (let i = 0; i < 1500; i++) ws.send(`queued ${i}`);
        await until(() => t.gate.stats().messagesIn >= 256, 'the queue to fill and the socket to pause');
        const code = closed(ws);
        // The gate's timeout is far beyond the test's: this passes only if the closing handshake completes.
        await t.gate.close({ code: 1001, timeout: 60_000 });
        expect((await code).code).toBe(1001);
      } finally {
        await t.close();
      }
    });

    it('a handshake still in authenticate is refused with 503 when the gate closes', async () => {
      let entered = false;
      const t = await target.start(
        {
          authenticate: () =>
            new Promise(() => {
              entered = true;
            }),
        },
        [echo],
      );
      try {
        const answer = rawRequest(`${t.url}/echo`);
        await until(() => entered, 'authenticate to start');
        await t.gate.close({ timeout: 1_000 });
        expect((await answer).status).toBe(503);
        expect(t.gate.stats().pending).toBe(0);
      } finally {
        await t.close();
      }
    });

    it('close() validates its code and reason before closing anything', async () => {
      const t = await target.start({}, [echo]);
      try {
        const ws = await openClient(`${t.wsUrl}/echo`);
        expect(await failure(() => t.gate.close({ code: 1005 }))).toBeInstanceOf(TypeError);
        expect(await failure(() => t.gate.close({ reason: 'x'.repeat(124) }))).toBeInstanceOf(TypeError);
        expect(t.gate.closing).toBe(false);
        expect(ws.readyState).toBe(1);
        const code = closed(ws);
        await t.gate.close({ code: 4000, timeout: 1_000 });
        expect((await code).code).toBe(4000);
      } finally {
        await t.close();
      }
    });
  });
}

/** The error a call threw or its promise rejected with (either is fine for argument validation). */
async function failure(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
