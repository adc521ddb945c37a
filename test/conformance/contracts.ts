import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { closed, collect, openClient, until } from '../support/ws.ts';
import type { ConformanceTarget } from './target.ts';

const Chat = z.object({ type: z.literal('say'), text: z.string().min(1).max(200) });

/**
 * Message contracts through each target's own route options: a `message` schema (zod) validates, in
 * order, and every kind of bad input gets its documented answer.
 */
export function contractSuite(target: ConformanceTarget): void {
  describe(`${target.name}: message contracts`, () => {
    const start = (onInvalid?: 'close' | 'reply') =>
      target.start({ heartbeat: false }, [
        {
          path: '/chat',
          options: onInvalid ? { message: Chat, onInvalid } : { message: Chat },
          handler: (s) => {
            s.on('message', (m: unknown) => s.sendJson({ echo: m }));
          },
        },
      ]);

    it('a valid message reaches the handler parsed and validated', async () => {
      const t = await start();
      try {
        const ws = await openClient(`${t.wsUrl}/chat`);
        ws.send(JSON.stringify({ type: 'say', text: 'hi' }));
        const [m] = await collect(ws, 1);
        expect(JSON.parse(m as string)).toEqual({ echo: { type: 'say', text: 'hi' } });
        ws.close();
        await closed(ws);
      } finally {
        await t.close();
      }
    });

    it('text that is not JSON closes 1007; a binary frame closes 1003', async () => {
      const t = await start();
      try {
        const a = await openClient(`${t.wsUrl}/chat`);
        a.send('{not json');
        expect(await closed(a)).toEqual({ code: 1007, reason: 'message is not valid JSON' });
        const b = await openClient(`${t.wsUrl}/chat`);
        b.send(Buffer.from([1, 2, 3]));
        expect(await closed(b)).toEqual({
          code: 1003,
          reason: 'binary messages are not accepted on this route',
        });
      } finally {
        await t.close();
      }
    });

    it("a refused value closes 1007 naming the first issue ('close', the default)", async () => {
      const t = await start();
      try {
        const ws = await openClient(`${t.wsUrl}/chat`);
        ws.send(JSON.stringify({ type: 'say', text: '' }));
        const c = await closed(ws);
        expect(c.code).toBe(1007);
        expect(c.reason).toMatch(/^invalid message: text: /);
      } finally {
        await t.close();
      }
    });

    it("'reply' answers an error envelope and the session stays open", async () => {
      const t = await start('reply');
      try {
        const ws = await openClient(`${t.wsUrl}/chat`);
        ws.send(JSON.stringify({ type: 'shout', text: 'x' }));
        ws.send(JSON.stringify({ type: 'say', text: 'still here' }));
        const [error, echo] = await collect(ws, 2);
        expect(JSON.parse(error as string)).toMatchObject({
          type: 'error',
          code: 'invalid_message',
          issues: [{ path: ['type'] }],
        });
        expect(JSON.parse(echo as string)).toEqual({ echo: { type: 'say', text: 'still here' } });
        ws.close();
        await closed(ws);
        await until(() => t.gate.sessions.size === 0, 'the session to close');
      } finally {
        await t.close();
      }
    });
  });
}
