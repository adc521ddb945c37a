import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { rawRequest, upgradeHeaders } from '../support/raw.ts';
import { nextMessage, openClient, until } from '../support/ws.ts';
import type { ConformanceTarget } from './target.ts';

/** Properties that hold whatever the client or the user's callbacks do. */
export function robustnessSuite(target: ConformanceTarget): void {
  describe(`${target.name}: robustness`, () => {
    it('a client that resets during a pending authenticate leaves no session, timer, counter or error', async () => {
      let entered!: () => void;
      const inAuth = new Promise<void>((r) => {
        entered = r;
      });
      let aborted = false;
      const errors: unknown[] = [];
      const t = await target.start(
        {
          onError: (e: unknown) => errors.push(e),
          authenticate: (_req: any, { signal }: { signal: AbortSignal }) =>
            new Promise((resolve) => {
              entered();
              signal.addEventListener('abort', () => {
                aborted = true;
                // Answer after the client left: must be ignored, not create a session.
                setImmediate(() => resolve({ late: true }));
              });
            }),
        },
        [{ path: '/echo', handler: (s: any) => s.send('should not happen') }],
      );
      const unhandled: unknown[] = [];
      const onUnhandled = (e: unknown) => unhandled.push(e);
      process.on('unhandledRejection', onUnhandled);
      try {
        const u = new URL(t.url);
        const socket = connect(Number(u.port), u.hostname);
        socket.on('error', () => {});
        await new Promise<void>((r) => socket.once('connect', () => r()));
        socket.write(
          `GET /echo HTTP/1.1\r\n${Object.entries(upgradeHeaders(u.host))
            .map(([k, v]) => `${k}: ${v}`)
            .join('\r\n')}\r\n\r\n`,
        );
        await inAuth;
        socket.resetAndDestroy();
        await until(() => aborted, 'authenticate to see the abort');
        await until(() => t.gate.stats().pending === 0, 'pending handshakes back to 0');
        await new Promise((r) => setImmediate(r));
        const c = (t.gate as any)._counters();
        expect(c).toEqual({ pending: 0, perIp: 0, sessions: 0, topics: 0 });
        expect(t.gate.stats().accepted).toBe(0);
        expect(unhandled).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
        await t.close();
      }
    });

    it('a throwing origins function or authenticate never crashes the process: 500, others still served', async () => {
      const t = await target.start(
        {
          origins: () => {
            throw new Error('origin callback bug');
          },
          onError: () => {},
        },
        [{ path: '/echo', handler: (s: any) => s.on('message', (m: any) => s.send(m)) }],
      );
      try {
        const a = await rawRequest(`${t.url}/echo`, { headers: { Origin: 'https://x.example' } });
        expect(a.status).toBe(500);
        expect(a.closed).toBe(true);
        const ws = await openClient(`${t.wsUrl}/echo`);
        ws.send('still here');
        expect(await nextMessage(ws)).toBe('still here');
        ws.close();
      } finally {
        await t.close();
      }
    });

    it('malformed request targets are answered and never crash', async () => {
      const t = await target.start({}, [
        { path: '/rooms/:room', handler: (s: any) => s.send(s.params.room) },
      ]);
      try {
        for (const path of ['/rooms/%', '/rooms/%zz', '/rooms/%E0%A4%A', '/rooms/a%00b/../x']) {
          const a = await rawRequest(`${t.url}/`, { path });
          expect(a.status, path).toBeGreaterThanOrEqual(400);
          expect(a.closed).toBe(true);
        }
        const ws = await openClient(`${t.wsUrl}/rooms/caf%C3%A9`);
        expect(await nextMessage(ws)).toBe('café');
        ws.close();
      } finally {
        await t.close();
      }
    });
  });
}
