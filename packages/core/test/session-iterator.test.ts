import { describe, expect, it } from 'vitest';
import { collect, openClient, until, type WebSocket } from '../../../test/support/ws.ts';
import { coreTarget } from '../../../test/targets/core.ts';
import type { Session } from '../src/index.js';

/** Collects messages until `last` arrives (inclusive), so a lost message shows as a wrong list, not a hang. */
async function collectThrough(ws: WebSocket, last: string): Promise<Array<string | Buffer>> {
  const got: Array<string | Buffer> = [];
  while (got.at(-1) !== last) got.push(...(await collect(ws, 1)));
  return got;
}

/** Consumes `n` messages with for-await, then breaks out of the loop. */
async function takeThenBreak(s: Session, n: number): Promise<string[]> {
  const taken: string[] = [];
  for await (const m of s) {
    taken.push(String(m));
    if (taken.length === n) break;
  }
  return taken;
}

/** A promise with its resolve, to wait on an event of the server side. */
function latch<T = void>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('breaking out of for-await keeps the messages the loop had not consumed', () => {
  const consumers: Array<[string, string, (s: Session<unknown>) => unknown]> = [
    ['a message listener attached', 'listener', (s) => s.on('message', (m) => s.send(`listener:${m}`))],
    [
      'a second for-await',
      'second',
      async (s) => {
        for await (const m of s) s.send(`second:${m}`);
      },
    ],
  ];
  it.each(consumers)(
    '%s after the break receives them, in order, before newer ones',
    async (_, tag, consume) => {
      const t = await coreTarget.start({}, [
        {
          path: '/consumer',
          handler: async (s) => {
            const taken = await takeThenBreak(s, 2);
            s.send(`loop:${taken.join(',')}`);
            await consume(s);
          },
        },
      ]);
      try {
        const ws = await openClient(`${t.wsUrl}/consumer`);
        for (let i = 1; i <= 5; i++) ws.send(String(i));
        expect(await collect(ws, 1)).toEqual(['loop:1,2']);
        ws.send('end');
        expect(await collectThrough(ws, `${tag}:end`)).toEqual([
          `${tag}:3`,
          `${tag}:4`,
          `${tag}:5`,
          `${tag}:end`,
        ]);
        ws.close();
      } finally {
        await t.close();
      }
    },
  );

  it('they are held past the close: close is emitted on time, and a later loop yields them, then ends', async () => {
    const result = latch<{ closeCode: number; later: string[] }>();
    const t = await coreTarget.start({}, [
      {
        path: '/after-close',
        handler: async (s) => {
          const closeSeen = latch<number>();
          const taken = await takeThenBreak(s, 2);
          // Nobody consumes messages now: 'close' must still reach its listeners.
          s.on('close', (code) => closeSeen.open(code));
          s.send(`loop:${taken.join(',')}`);
          const closeCode = await closeSeen.promise;
          const later: string[] = [];
          for await (const m of s) later.push(String(m));
          result.open({ closeCode, later });
        },
      },
    ]);
    try {
      const ws = await openClient(`${t.wsUrl}/after-close`);
      for (let i = 1; i <= 5; i++) ws.send(String(i));
      expect(await collect(ws, 1)).toEqual(['loop:1,2']);
      ws.close(4001);
      expect(await result.promise).toEqual({ closeCode: 4001, later: ['3', '4', '5'] });
    } finally {
      await t.close();
    }
  });

  it('while nobody consumes, arrivals queue behind them and the socket is paused at the bound', async () => {
    let session: Session | undefined;
    const broke = latch();
    const t = await coreTarget.start({ limits: { messages: false } }, [
      {
        path: '/bounded',
        handler: async (s) => {
          session = s;
          await takeThenBreak(s, 2);
          broke.open();
        },
      },
    ]);
    try {
      const ws = await openClient(`${t.wsUrl}/bounded`);
      const sent = Array.from({ length: 600 }, (_, i) => String(i + 1));
      for (const m of sent.slice(0, 5)) ws.send(m);
      await broke.promise;
      for (const m of sent.slice(5)) ws.send(m);
      await until(() => session?._pausedByGate === true, 'the socket to be paused');
      const s = session!;
      const got: string[] = [];
      const all = latch();
      s.on('message', (m) => {
        got.push(String(m));
        if (got.length === sent.length - 2) all.open();
      });
      await all.promise;
      expect(got).toEqual(sent.slice(2));
      expect(s._pausedByGate).toBe(false);
      ws.close();
    } finally {
      await t.close();
    }
  });
});
