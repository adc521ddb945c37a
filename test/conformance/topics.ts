import { type Broker, memoryBroker, memoryBus, type Session } from '@wsgate/core';
import { describe, expect, it } from 'vitest';
import { collect, nextMessage, openClient, until, type WebSocket } from '../support/ws.ts';
import type { ConformanceRoute, ConformanceTarget, StartedTarget } from './target.ts';

/**
 * `/room/:topic` joins the topic and says 'ready'. Text 'leave' unsubscribes ('left'), 'pub:<x>' publishes
 * <x> to the others, 'ping' answers 'pong' directly; a binary message is published as is.
 */
const room: ConformanceRoute = {
  path: '/room/:topic',
  handler: (s: Session<any>) => {
    const topic = s.params.topic!;
    s.subscribe(topic);
    s.on('message', (m) => {
      if (typeof m !== 'string') s.publish(topic, m);
      else if (m === 'leave') {
        s.unsubscribe(topic);
        s.send('left');
      } else if (m === 'ping') s.send('pong');
      else if (m.startsWith('pub:')) s.publish(topic, m.slice(4));
    });
    s.send('ready');
  },
};

async function join(t: StartedTarget, topic: string): Promise<WebSocket> {
  const ws = await openClient(`${t.wsUrl}/room/${topic}`);
  expect(await nextMessage(ws)).toBe('ready');
  return ws;
}

/** Nothing else is on its way: a direct round trip comes back before anything a publish could still send. */
async function nothingPending(ws: WebSocket): Promise<void> {
  ws.send('ping');
  expect(await nextMessage(ws)).toBe('pong');
}

/** A broker that records what core asks of it, over a real memory broker. */
function recordingBroker(options: Parameters<typeof memoryBroker>[0] = {}): Broker & { calls: string[] } {
  const inner = memoryBroker(options);
  const calls: string[] = [];
  return {
    calls,
    subscribe(topic, onMessage) {
      calls.push(`subscribe:${topic}`);
      return inner.subscribe(topic, onMessage);
    },
    unsubscribe(topic) {
      calls.push(`unsubscribe:${topic}`);
      return inner.unsubscribe(topic);
    },
    publish(topic, payload, opts) {
      calls.push(`publish:${topic}:${opts.binary ? 'binary' : 'text'}`);
      return inner.publish(topic, payload, opts);
    },
    close() {
      calls.push('close');
      return inner.close();
    },
  };
}

/** Topics and broadcast: membership, `except`, binary, order, brokers and several nodes. */
export function topicSuite(target: ConformanceTarget): void {
  describe(`${target.name}: topics`, () => {
    it('a publish reaches every other member of the topic, not the publisher, not other topics', async () => {
      const t = await target.start({}, [room]);
      try {
        const [a, b, c] = [await join(t, 'lobby'), await join(t, 'lobby'), await join(t, 'lobby')];
        const other = await join(t, 'elsewhere');
        a!.send('pub:hello');
        expect(await nextMessage(b!)).toBe('hello');
        expect(await nextMessage(c!)).toBe('hello');
        await nothingPending(a!);
        await nothingPending(other);
        t.gate.publish('lobby', 'from the server');
        for (const ws of [a!, b!, c!]) expect(await nextMessage(ws)).toBe('from the server');
        await nothingPending(other);
        expect(t.gate.topicMembers('lobby').size).toBe(3);
        for (const ws of [a!, b!, c!, other]) ws.close();
      } finally {
        await t.close();
      }
    });

    it('gate.publish with except skips that one session', async () => {
      const t = await target.start({}, [room]);
      try {
        const a = await join(t, 'lobby');
        const b = await join(t, 'lobby');
        const [first] = [...t.gate.topicMembers('lobby')];
        t.gate.publish('lobby', 'not for the first', { except: first });
        expect(await nextMessage(b)).toBe('not for the first');
        await nothingPending(a);
        a.close();
        b.close();
      } finally {
        await t.close();
      }
    });

    it('binary stays binary and text stays text', async () => {
      const t = await target.start({}, [room]);
      try {
        const a = await join(t, 'lobby');
        const b = await join(t, 'lobby');
        a.send(Buffer.from([1, 2, 3]));
        a.send('pub:text');
        const [bin, text] = await collect(b, 2);
        t.gate.publish('lobby', new Uint8Array([9, 8]));
        const view = await nextMessage(b);
        expect(Buffer.isBuffer(bin) && [...bin]).toEqual([1, 2, 3]);
        expect(text).toBe('text');
        expect(Buffer.isBuffer(view) && [...view]).toEqual([9, 8]);
        a.close();
        b.close();
      } finally {
        await t.close();
      }
    });

    it('no delivery after unsubscribe or close; an empty topic is forgotten', async () => {
      const t = await target.start({}, [room]);
      try {
        const a = await join(t, 'lobby');
        const b = await join(t, 'lobby');
        a.send('leave');
        expect(await nextMessage(a)).toBe('left');
        t.gate.publish('lobby', 'after leave');
        expect(await nextMessage(b)).toBe('after leave');
        await nothingPending(a);
        b.close();
        await until(() => t.gate.topicMembers('lobby').size === 0, 'the closed member to leave');
        expect(t.gate.stats().topics).toBe(0);
        t.gate.publish('lobby', 'nobody');
        await nothingPending(a);
        a.close();
      } finally {
        await t.close();
      }
    });

    it('order is kept when direct sends and broadcasts interleave, across ticks and within one', async () => {
      const t = await target.start({}, [room]);
      try {
        const clients = [await join(t, 'lobby'), await join(t, 'lobby'), await join(t, 'lobby')];
        const expected: string[] = [];
        for (let i = 0; i < 600; i++) {
          const m = `m${i}`;
          expected.push(m);
          if (i % 3 === 0) for (const s of t.gate.sessions) s.send(m);
          else t.gate.publish('lobby', m);
          if (i % 50 === 49) await new Promise((r) => setImmediate(r));
        }
        for (const ws of clients) expect(await collect(ws, expected.length)).toEqual(expected);
        for (const ws of clients) ws.close();
      } finally {
        await t.close();
      }
    });

    it('20 publishes in one tick arrive in order', async () => {
      const t = await target.start({}, [room]);
      try {
        const a = await join(t, 'burst');
        const b = await join(t, 'burst');
        const expected = Array.from({ length: 20 }, (_, i) => `burst ${i}`);
        for (const m of expected) t.gate.publish('burst', m);
        expect(await collect(a, 20)).toEqual(expected);
        expect(await collect(b, 20)).toEqual(expected);
        a.close();
        b.close();
      } finally {
        await t.close();
      }
    });

    it('the broker hears subscribe only for the first member and unsubscribe only for the last', async () => {
      const broker = recordingBroker();
      const t = await target.start({ broker }, [room]);
      try {
        const a = await join(t, 'lobby');
        const b = await join(t, 'lobby');
        expect(broker.calls).toEqual(['subscribe:lobby']);
        a.send('pub:x');
        a.send(Buffer.from([1]));
        await collect(b, 2);
        expect(broker.calls).toEqual(['subscribe:lobby', 'publish:lobby:text', 'publish:lobby:binary']);
        a.send('leave');
        expect(await nextMessage(a)).toBe('left');
        expect(broker.calls).not.toContain('unsubscribe:lobby');
        b.close();
        await until(() => broker.calls.includes('unsubscribe:lobby'), 'the last member to leave');
        expect(broker.calls.filter((c) => c.startsWith('subscribe') || c.startsWith('unsub'))).toEqual([
          'subscribe:lobby',
          'unsubscribe:lobby',
        ]);
        a.close();
      } finally {
        await t.close();
      }
      expect(broker.calls.at(-1)).toBe('close');
    });

    it('two gates on one memoryBus are two nodes: each message is delivered exactly once', async () => {
      const bus = memoryBus();
      const t1 = await target.start({ broker: memoryBroker({ bus }) }, [room]);
      const t2 = await target.start({ broker: memoryBroker({ bus }) }, [room]);
      try {
        const a1 = await join(t1, 'lobby');
        const b1 = await join(t1, 'lobby');
        const a2 = await join(t2, 'lobby');
        const b2 = await join(t2, 'lobby');
        t1.gate.publish('lobby', 'from node 1');
        for (const ws of [a1, b1, a2, b2]) expect(await nextMessage(ws)).toBe('from node 1');
        a2.send('pub:from a2');
        a2.send(Buffer.from([7]));
        for (const ws of [a1, b1, b2]) {
          const [text, bin] = await collect(ws, 2);
          expect(text).toBe('from a2');
          expect(Buffer.isBuffer(bin) && [...bin]).toEqual([7]);
        }
        for (const ws of [a1, b1, a2, b2]) await nothingPending(ws);
        for (const ws of [a1, b1, a2, b2]) ws.close();
      } finally {
        await t1.close();
        await t2.close();
      }
    });

    it('broker failures go to onError, never to an unhandled rejection; local delivery still happens', async () => {
      const errors: Array<{ err: unknown; phase: string }> = [];
      const failing: Broker = {
        subscribe: () => {},
        unsubscribe: () => Promise.reject(new Error('unsubscribe failed')),
        publish: (_topic, payload) =>
          payload === 'sync' ? raise('publish threw') : Promise.reject(new Error('publish rejected')),
        close: () => {},
      };
      const unhandled: unknown[] = [];
      const onUnhandled = (e: unknown) => unhandled.push(e);
      process.on('unhandledRejection', onUnhandled);
      const t = await target.start(
        { broker: failing, onError: (err, ctx) => errors.push({ err, phase: ctx.phase }) },
        [room],
      );
      try {
        const a = await join(t, 'lobby');
        t.gate.publish('lobby', 'sync');
        t.gate.publish('lobby', 'async');
        expect(await collect(a, 2)).toEqual(['sync', 'async']);
        a.close();
        await until(() => errors.length === 3, 'three broker errors');
        expect(errors.map((e) => `${e.phase}:${(e.err as Error).message}`).sort()).toEqual([
          'broker:publish rejected',
          'broker:publish threw',
          'broker:unsubscribe failed',
        ]);
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
        await t.close();
      }
    });

    it('session.topics lists the subscriptions through join, second join, leave and close', async () => {
      const seen: string[][] = [];
      let ids: string[] = [];
      const t = await target.start({}, [
        {
          path: '/many',
          handler: (s) => {
            const snap = () => seen.push([...s.topics].sort());
            snap();
            s.subscribe('a');
            s.subscribe('a');
            snap();
            s.subscribe('b');
            snap();
            s.unsubscribe('a');
            snap();
            s.unsubscribe('a');
            s.subscribe('c');
            snap();
            ids = [s.id, s.id];
            s.send('done');
          },
        },
      ]);
      try {
        const ws = await openClient(`${t.wsUrl}/many`);
        expect(await nextMessage(ws)).toBe('done');
        expect(seen).toEqual([[], ['a'], ['a', 'b'], ['b'], ['b', 'c']]);
        expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(ids[1]).toBe(ids[0]);
        expect([...t.gate.topicMembers('b')]).toHaveLength(1);
        expect(t.gate.topicMembers('a').size).toBe(0);
        ws.close();
        await until(() => t.gate.stats().topics === 0, 'every topic to be left on close');
      } finally {
        await t.close();
      }
    });

    it('topic names are validated', async () => {
      const t = await target.start({}, [room]);
      try {
        expect(() => t.gate.publish('', 'x')).toThrow(TypeError);
        expect(() => t.gate.publish(42 as unknown as string, 'x')).toThrow(TypeError);
      } finally {
        await t.close();
      }
    });
  });
}

function raise(message: string): never {
  throw new Error(message);
}
