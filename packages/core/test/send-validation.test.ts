import { describe, expect, it } from 'vitest';
import { collect, track } from '../../../test/support/ws.ts';
import { createGate } from '../src/index.js';

describe('what a handler sends or publishes', () => {
  it('anything ws cannot send is a TypeError at the call, and the session stays open', async () => {
    const gate = createGate({ heartbeat: false });
    const errors: string[] = [];
    const attempt = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        errors.push(`${(err as Error).constructor.name}: ${(err as Error).message}`);
      }
    };
    gate.route('/x', (s) => {
      attempt(() => s.send(123 as never));
      attempt(() => s.send(undefined as never));
      attempt(() => s.sendJson(undefined));
      attempt(() => s.publish('t', { not: 'bytes' } as never));
      attempt(() => gate.publish('t', null as never));
      s.send(new Uint8Array([1, 2]));
      s.send(new ArrayBuffer(3));
      s.sendJson({ ok: true });
    });
    try {
      const ws = track(await gate.inject('/x'));
      const [a, b, c] = await collect(ws, 3);
      expect([...(a as Buffer)]).toEqual([1, 2]);
      expect((b as Buffer).length).toBe(3);
      expect(c).toBe('{"ok":true}');
      const takes = 'takes a string, Buffer, ArrayBuffer or typed array, got';
      expect(errors).toEqual([
        `TypeError: wsgate: send() ${takes} number`,
        `TypeError: wsgate: send() ${takes} undefined`,
        'TypeError: wsgate: sendJson() cannot send undefined (it has no JSON representation)',
        `TypeError: wsgate: publish() ${takes} object`,
        `TypeError: wsgate: publish() ${takes} null`,
      ]);
      // Before, a number's size was NaN: the backpressure check read it as over the limit and closed (1013).
      expect(gate.stats().slowConsumers).toEqual({ closed: 0, dropped: 0 });
      expect(ws.readyState).toBe(1);
      ws.close();
    } finally {
      await gate.close({ timeout: 500 });
    }
  });
});
