import { describe, expect, it } from 'vitest';
import { collect, openClient, until } from '../../../test/support/ws.ts';
import { coreTarget } from '../../../test/targets/core.ts';
import type { Session } from '../src/index.js';

/** Bytes of received messages the session holds for a consumer (the figure limits.inbound bounds). */
function inboundBytes(s: Session<unknown> | undefined): number {
  return (s as unknown as { _inboundBytes?: number } | undefined)?._inboundBytes ?? 0;
}
function paused(s: Session<unknown> | undefined): boolean {
  return (s as unknown as { _pausedByGate?: boolean } | undefined)?._pausedByGate === true;
}

describe('limits.inbound: one byte bound over every buffer of a session', () => {
  it('messages held after a loop broke, then a second slow iterator: together at most the bound + one message', async () => {
    const inbound = 64 * 1024;
    const maxPayload = 16 * 1024;
    const size = 8 * 1024;
    const count = 100; // 800 KiB: below the old fixed 1 MiB bound of the held queue
    let session: Session<unknown> | undefined;
    let received = 0;
    let taken = 0;
    let held = 0;
    let resume!: () => void;
    const second = new Promise<void>((r) => {
      resume = r;
    });
    const t = await coreTarget.start({ maxPayload, limits: { inbound, messages: false } }, [
      {
        path: '/held',
        handler: async (s) => {
          session = s;
          s.raw.on('message', (m: Buffer) => {
            received += m.length;
            held = Math.max(held, received - taken);
          });
          for await (const m of s) {
            taken += m.length;
            break; // the rest stays with the session, held for the next consumer
          }
          await second;
          for await (const m of s) {
            taken += m.length;
            if (taken === count * size) s.send('all');
          }
        },
      },
    ]);
    try {
      const ws = await openClient(`${t.wsUrl}/held`);
      for (let i = 0; i < count; i++) ws.send(Buffer.alloc(size, i));
      await until(() => paused(session) || received === count * size, 'the bound or the whole flood');
      expect(held).toBeLessThanOrEqual(inbound + maxPayload + 64 * 1024);
      expect(inboundBytes(session)).toBeLessThanOrEqual(inbound + maxPayload + 64 * 1024);
      expect(received).toBeLessThan(count * size);
      resume();
      expect(await collect(ws, 1)).toEqual(['all']);
      expect(held).toBeLessThanOrEqual(inbound + maxPayload + 64 * 1024);
      expect(inboundBytes(session)).toBe(0);
      ws.close();
    } finally {
      await t.close();
    }
  });
});
