import { createGate } from '@wsgate/core';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { closed, collect, track } from '../support/ws.ts';

describe('contracts on wsgate.v1 sessions', () => {
  it("the schema applies to the msg payload; 'reply' answers with the protocol's error frame; sends are wrapped", async () => {
    const gate = createGate({ heartbeat: false });
    gate.route(
      '/v1',
      {
        protocols: ['wsgate.v1'],
        message: z.object({ n: z.number() }),
        send: z.object({ twice: z.number() }),
        onInvalid: 'reply',
      },
      (s) => s.on('message', (m) => s.send({ twice: m.n * 2 })),
    );
    try {
      const ws = track(await gate.inject('/v1', { protocols: ['wsgate.v1'] }));
      ws.send(JSON.stringify({ t: 'hello' }));
      ws.send(JSON.stringify({ t: 'msg', d: JSON.stringify({ n: 'x' }) }));
      ws.send(JSON.stringify({ t: 'msg', d: JSON.stringify({ n: 21 }) }));
      const frames = (await collect(ws, 2)).map((f) => JSON.parse(f as string));
      expect(frames[0]).toEqual({
        t: 'error',
        code: 'invalid',
        message: expect.stringMatching(/^invalid message: n: /),
      });
      expect(frames[1]).toEqual({ t: 'msg', d: JSON.stringify({ twice: 42 }) });
      ws.send(JSON.stringify({ t: 'msg', d: 'not json' }));
      expect((await closed(ws)).code).toBe(1007);
    } finally {
      await gate.close({ timeout: 500 });
    }
  });
});
