import { createGate, type Session } from '@wsgate/core';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { until } from '../support/ws.ts';

type Internals = { _inboundBytes: number; _pausedByGate: boolean };

describe('contracts and the inbound bound', () => {
  it('validated values waiting for a slow consumer count their frame bytes, and the socket pauses at limits.inbound', async () => {
    const gate = createGate({ heartbeat: false, limits: { inbound: 64 * 1024, messages: false } });
    let session: Session<unknown> | undefined;
    let release!: () => void;
    const go = new Promise<void>((r) => {
      release = r;
    });
    const got: number[] = [];
    gate.route('/slow', { message: z.object({ n: z.number(), pad: z.string() }) }, async (s) => {
      session = s as unknown as Session<unknown>;
      await go; // not consuming yet: everything queues
      for await (const m of s) {
        got.push(m.n);
        if (m.n === 99) break;
      }
    });
    try {
      const ws = await gate.inject('/slow');
      const pad = 'x'.repeat(4096);
      for (let n = 0; n < 100; n++) ws.send(JSON.stringify({ n, pad }));
      await until(
        () => (session as unknown as Internals | undefined)?._pausedByGate === true,
        'the socket to pause',
      );
      const held = (session as unknown as Internals)._inboundBytes;
      expect(held).toBeGreaterThanOrEqual(64 * 1024);
      expect(held).toBeLessThan(64 * 1024 + 2 * 4200);
      release();
      await until(() => got.length === 100, 'every message, in order');
      expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect((session as unknown as Internals)._inboundBytes).toBe(0);
      ws.close();
    } finally {
      await gate.close({ timeout: 500 });
    }
  });
});
