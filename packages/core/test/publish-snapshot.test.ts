import { describe, expect, it } from 'vitest';
import type { StartedTarget } from '../../../test/conformance/target.ts';
import { collect, openClient, type WebSocket } from '../../../test/support/ws.ts';
import { coreTarget } from '../../../test/targets/core.ts';
import { type GateOptions, memoryBroker, memoryBus, type Session } from '../src/index.js';
import { SLICE } from '../src/topics/broadcast.js';

/** Bytes that are not all zero, so a publisher's `fill(0)` after publish() shows in what arrives. */
function pattern(size: number, seed: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) buf[i] = ((i * 31 + seed) % 255) + 1;
  return buf;
}

/** A gate on 127.0.0.1:0 whose `/t` joins topic 't' and says 'ready'; `n` clients, each seen ready. */
async function topicServer(
  n: number,
  options: GateOptions = {},
  client: { perMessageDeflate?: boolean } = {},
): Promise<{ t: StartedTarget; clients: WebSocket[]; close(): Promise<void> }> {
  const t = await coreTarget.start({ heartbeat: false, limits: { connectionsPerIp: 5_000 }, ...options }, [
    {
      path: '/t',
      handler: (s) => {
        s.subscribe('t');
        s.send('ready');
      },
    },
  ]);
  const clients: WebSocket[] = [];
  try {
    // In batches: well under the pending-handshake limit, and quick.
    for (let i = 0; i < n; i += 100) {
      const batch = Array.from({ length: Math.min(100, n - i) }, () => openClient(`${t.wsUrl}/t`, client));
      clients.push(...(await Promise.all(batch)));
    }
    for (const ws of clients) expect(await collect(ws, 1)).toEqual(['ready']);
  } catch (err) {
    for (const ws of clients) ws.terminate();
    await t.close();
    throw err;
  }
  return {
    t,
    clients,
    async close() {
      for (const ws of clients) ws.terminate();
      await t.close();
    },
  };
}

/** Every client receives exactly `expected`, byte for byte. */
async function expectEach(clients: readonly WebSocket[], expected: readonly Buffer[]): Promise<void> {
  for (const ws of clients) {
    const got = await collect(ws, expected.length);
    got.forEach((m, i) => {
      expect(Buffer.isBuffer(m)).toBe(true);
      expect((m as Buffer).equals(expected[i]!)).toBe(true);
    });
  }
}

describe('a published Buffer is delivered as it was when publish() was called', () => {
  it('a large Buffer (written corked, flushed at the end of the phase): gate.publish and session.publish', async () => {
    const s = await topicServer(4);
    try {
      const payload = pattern(64 * 1024, 1);
      const expected = Buffer.from(payload);
      s.t.gate.publish('t', payload);
      payload.fill(0);
      await expectEach(s.clients, [expected]);

      // The same Buffer reused for the next message, as a publisher with one scratch buffer does.
      const [publisher] = [...s.t.gate.sessions] as Session[];
      pattern(64 * 1024, 2).copy(payload);
      const second = Buffer.from(payload);
      publisher!.publish('t', payload);
      payload.fill(0);
      const others = s.clients.filter((_, i) => i !== 0);
      await expectEach(others, [second]);
    } finally {
      await s.close();
    }
  });

  it('a fan-out wider than one slice: a publish queued behind it is written on later turns', async () => {
    const s = await topicServer(SLICE + 24);
    try {
      // The first publish fills this turn's slice; the second waits for it and is framed on a later turn.
      const first = pattern(100, 3);
      const payload = pattern(100, 4);
      const expected = [Buffer.from(first), Buffer.from(payload)];
      s.t.gate.publish('t', first);
      s.t.gate.publish('t', payload);
      first.fill(0);
      payload.fill(0);
      await expectEach(s.clients, expected);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('a permessage-deflate subscriber whose sender is still compressing (ws queues the message)', async () => {
    const s = await topicServer(2, { perMessageDeflate: true }, { perMessageDeflate: true });
    try {
      // Above ws's 1 KiB threshold: compressed asynchronously, so the next send waits in ws's queue.
      const first = pattern(4 * 1024, 4);
      const payload = pattern(2 * 1024, 5);
      const expected = Buffer.from(payload);
      s.t.gate.publish('t', first);
      s.t.gate.publish('t', payload);
      payload.fill(0);
      await expectEach(s.clients, [first, expected]);
    } finally {
      await s.close();
    }
  });

  it('through the memory broker, to another gate on the same bus', async () => {
    const bus = memoryBus();
    const publisher = await coreTarget.start({ heartbeat: false, broker: memoryBroker({ bus }) }, []);
    const s = await topicServer(2, { broker: memoryBroker({ bus }) });
    try {
      const payload = pattern(64 * 1024, 6);
      const expected = Buffer.from(payload);
      publisher.gate.publish('t', payload);
      payload.fill(0);
      await expectEach(s.clients, [expected]);
    } finally {
      await s.close();
      await publisher.close();
    }
  });
});
