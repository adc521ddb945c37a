import { describe, expect, it } from 'vitest';
import { collect, openClient } from '../../../test/support/ws.ts';
import { coreTarget } from '../../../test/targets/core.ts';

describe("session 'drain'", () => {
  it('follows send() === false with permessage-deflate on (bytes waiting in the compressor, not the socket)', async () => {
    let drained = 0;
    let firstFalse = -1;
    const t = await coreTarget.start({ perMessageDeflate: true, backpressure: { highWaterMark: 1024 } }, [
      {
        path: '/big',
        handler: (s) => {
          s.on('drain', () => {
            drained++;
            s.send('after drain');
          });
          // Random bytes do not compress: the compressor holds them a while before the socket sees them.
          const chunk = Buffer.from(Array.from({ length: 64 * 1024 }, () => Math.floor(Math.random() * 256)));
          for (let i = 0; i < 8; i++) if (!s.send(chunk) && firstFalse < 0) firstFalse = i;
        },
      },
    ]);
    try {
      const ws = await openClient(`${t.wsUrl}/big`, { perMessageDeflate: true });
      const got = await collect(ws, 9);
      expect(firstFalse).toBe(0);
      expect(got.at(-1)).toBe('after drain');
      expect(drained).toBe(1);
      ws.close();
    } finally {
      await t.close();
    }
  });
});
