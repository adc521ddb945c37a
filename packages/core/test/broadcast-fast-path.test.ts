import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { collect, track, until, type WebSocket } from '../../../test/support/ws.ts';
import { type Broker, createGate, type Gate, type GateOptions, type RouteOptions } from '../src/index.js';
import { FLUSH_BATCH, SLICE } from '../src/topics/broadcast.js';
import { canWriteFramed, wsInternalsPresent } from '../src/topics/framing.js';

/** A gate with `/t` (joins topic 't') and, when asked, `/z` with permessage-deflate on; clients by inject. */
async function setup(
  n: number,
  options: GateOptions = {},
  deflated = 0,
): Promise<{ gate: Gate; clients: WebSocket[]; close(): Promise<void> }> {
  const gate = createGate({ heartbeat: false, limits: { connectionsPerIp: 5_000 }, ...options });
  const join = (s: { subscribe(t: string): void; send(m: string): boolean }) => {
    s.subscribe('t');
    s.send('ready');
  };
  gate.route('/t', join);
  gate.route('/z', { perMessageDeflate: true } satisfies RouteOptions, join);
  const clients: WebSocket[] = [];
  const open = async (path: string, perMessageDeflate: boolean) => {
    const ws = track(await gate.inject(path, { client: { perMessageDeflate } }));
    clients.push(ws);
  };
  for (let i = 0; i < n; i++) await open('/t', false);
  for (let i = 0; i < deflated; i++) await open('/z', true);
  for (const ws of clients) expect(await collect(ws, 1)).toEqual(['ready']);
  return {
    gate,
    clients,
    async close() {
      for (const ws of clients) ws.terminate();
      await gate.close({ timeout: 500 });
    },
  };
}

const socketOf = (raw: WebSocket) => (raw as unknown as { _socket: Socket })._socket;
/** What a corked stream holds, chunk by chunk (Node's `writable.writableBuffer`, missing from the types). */
const writableBuffer = (s: Socket) =>
  (s as unknown as { writableBuffer: Array<{ chunk: Buffer }> }).writableBuffer;

describe('broadcast fast path', () => {
  it('the ws internals it relies on are present (this fails when a ws upgrade changes them)', async () => {
    const t = await setup(1, {}, 1);
    try {
      const [plain, zipped] = [...t.gate.sessions];
      expect(wsInternalsPresent(plain!.raw)).toBe(true);
      expect(wsInternalsPresent(zipped!.raw)).toBe(true);
      expect(canWriteFramed(plain!.raw)).toBe(true);
      // Each deflate connection has its own compression context: framed bytes cannot be shared.
      expect(canWriteFramed(zipped!.raw)).toBe(false);
    } finally {
      await t.close();
    }
  });

  it('frames once: every member socket holds the same bytes, corked until the end of the phase', async () => {
    const t = await setup(3);
    try {
      const sockets = [...t.gate.sessions].map((s) => socketOf(s.raw));
      // Small payloads are framed into one buffer; large ones keep a separate header. Either way the bytes
      // are written after publish() returns, so the caller's Buffer is copied once (never per socket).
      for (const payload of [Buffer.alloc(1_000, 7), Buffer.alloc(100_000, 8)]) {
        t.gate.publish('t', payload);
        for (const socket of sockets) expect(socket.writableCorked).toBeGreaterThan(0);
        // The last bytes queued (a zero-length write may follow: the session arms 'drain' above highWaterMark).
        const last = sockets.map(
          (s) =>
            writableBuffer(s)
              .filter((w) => w.chunk.length > 0)
              .at(-1)!.chunk,
        );
        for (const chunk of last) expect(chunk).toBe(last[0]);
        expect(last[0]).not.toBe(payload);
        if (payload.length > 16 * 1024) expect(last[0]!.equals(payload)).toBe(true);
        for (const ws of t.clients) {
          const [m] = await collect(ws, 1);
          expect(Buffer.isBuffer(m) && m.equals(payload)).toBe(true);
        }
        for (const socket of sockets) expect(socket.writableCorked).toBe(0);
      }
    } finally {
      await t.close();
    }
  });

  it('frames every length right: the 7- and 16-bit lengths, text encoded straight into the frame', async () => {
    const t = await setup(1);
    try {
      // Byte lengths around the 7-bit limit, the one-buffer limit (16 KiB) and beyond; é is 2 bytes of UTF-8.
      const sizes = [0, 1, 125, 126, 127, 16_383, 16_384, 16_385, 70_000];
      const texts = sizes.map((n) => (n < 2 ? 'x'.repeat(n) : `${'x'.repeat(n - 2)}é`));
      const bytes = sizes.map((n, i) => Buffer.alloc(n, i));
      for (const text of texts) t.gate.publish('t', text);
      for (const b of bytes) t.gate.publish('t', b);
      const got = await collect(t.clients[0]!, texts.length + bytes.length);
      expect(got.slice(0, texts.length)).toEqual(texts);
      for (const [i, b] of bytes.entries())
        expect(Buffer.from(got[texts.length + i] as Buffer).equals(b)).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('20 publishes in one tick are coalesced per socket and arrive in order', async () => {
    const t = await setup(2);
    try {
      const expected = Array.from({ length: 20 }, (_, i) => `p${i}`);
      for (const m of expected) t.gate.publish('t', m);
      for (const s of t.gate.sessions) {
        const socket = socketOf(s.raw);
        expect(socket.writableCorked).toBe(1);
        expect(writableBuffer(socket).length).toBe(20);
      }
      for (const ws of t.clients) expect(await collect(ws, 20)).toEqual(expected);
    } finally {
      await t.close();
    }
  });

  it('publishes from separate callbacks of one phase share the flush: one write per socket', async () => {
    const t = await setup(2);
    try {
      // As when each member of a room speaks and every message is read by its own I/O callback: the ticks
      // between the callbacks do not flush (one write syscall per socket per phase, not per message).
      t.gate.publish('t', 'first');
      await new Promise<void>((resolve) => process.nextTick(resolve));
      await Promise.resolve();
      t.gate.publish('t', 'second');
      for (const s of t.gate.sessions) {
        const socket = socketOf(s.raw);
        expect(socket.writableCorked).toBe(1);
        expect(writableBuffer(socket).map((w) => w.chunk.length)).toEqual([7, 8]);
      }
      for (const ws of t.clients) expect(await collect(ws, 2)).toEqual(['first', 'second']);
    } finally {
      await t.close();
    }
  });

  it('a very large fan-out is spread over event-loop turns; a direct send never overtakes it', async () => {
    const t = await setup(SLICE + 76);
    try {
      const sessions = [...t.gate.topicMembers('t')];
      const written = () => sessions.filter((s) => socketOf(s.raw).writableLength > 0).length;
      // The first publish starts a job; the next ones, published meanwhile, are merged into a second one.
      const burst = ['wide 1', 'wide 2', 'wide 3', 'wide 4'];
      for (const m of burst) t.gate.publish('t', m);
      // One slice now; the rest waits for the next turn so other work (I/O, timers) can run.
      expect(written()).toBe(SLICE);
      const lastSession = sessions.at(-1)!;
      const lastClient = t.clients[sessions.length - 1]!;
      lastSession.send('direct');
      expect(await collect(lastClient, 5)).toEqual([...burst, 'direct']);
      t.gate.publish('t', 'last');
      lastSession.close(4000, 'bye');
      for (const ws of t.clients.slice(0, -1)) expect(await collect(ws, 5)).toEqual([...burst, 'last']);
      expect(await collect(lastClient, 1)).toEqual(['last']);
      await until(
        () => t.gate.stats().messagesOut === 6 * sessions.length + 1, // 'ready', 4 of the burst, 'last'; 'direct'
        'every delivery to be counted',
      );
    } finally {
      await t.close();
    }
  }, 60_000);

  it('a publish made while a fan-out is under way joins it: the recipients not yet reached get both at once', async () => {
    const t = await setup(SLICE + 76);
    try {
      const sessions = [...t.gate.topicMembers('t')];
      const told: number[] = [];
      t.gate.on('publish', (_topic, count) => told.push(count));
      t.gate.publish('t', 'a');
      t.gate.publish('t', 'b'); // the first one's job is under way: SLICE sockets written, the rest waits
      await new Promise<void>((resolve) => setImmediate(resolve));
      // One turn later the sockets the first pass had not reached took both messages in one visit (one
      // write), not 'a' now and 'b' in a second pass over all of them.
      for (const s of sessions.slice(SLICE)) {
        const chunks = writableBuffer(socketOf(s.raw)).filter((w) => w.chunk.length > 0);
        expect(chunks.map((w) => w.chunk.subarray(2).toString())).toEqual(['a', 'b']);
      }
      for (const ws of t.clients) expect(await collect(ws, 2)).toEqual(['a', 'b']);
      // Each message is counted once, with all its deliveries, though two jobs carried 'b'.
      await until(() => told.length === 2, 'both publish events');
      expect(told).toEqual([sessions.length, sessions.length]);
      expect(t.gate.stats().messagesOut).toBe(3 * sessions.length); // 'ready', 'a', 'b'
    } finally {
      await t.close();
    }
  }, 60_000);

  it('a publish to another topic in between keeps every session in publish order', async () => {
    const t = await setup(SLICE + 76);
    try {
      const sessions = [...t.gate.topicMembers('t')];
      // The first and the last member are in topic 'u' too: before and after the first pass's position.
      for (const s of [sessions[0]!, sessions.at(-1)!]) await s.subscribe('u');
      t.gate.publish('t', 'a');
      t.gate.publish('u', 'x');
      t.gate.publish('t', 'b'); // may not join the fan-out of 'a': 'x' is queued behind it
      for (const i of [0, sessions.length - 1])
        expect(await collect(t.clients[i]!, 3)).toEqual(['a', 'x', 'b']);
      for (const ws of t.clients.slice(1, -1)) expect(await collect(ws, 2)).toEqual(['a', 'b']);
    } finally {
      await t.close();
    }
  }, 60_000);

  it('only sessions of a topic with pending deliveries wait for them; leaving the topic settles first', async () => {
    const t = await setup(SLICE + 76);
    try {
      const sessions = [...t.gate.topicMembers('t')];
      const outsider = track(await t.gate.inject('/t'));
      t.clients.push(outsider);
      expect(await collect(outsider, 1)).toEqual(['ready']);
      const outsiderSession = [...t.gate.topicMembers('t')].at(-1)!;
      outsiderSession.unsubscribe('t');
      t.gate.publish('t', 'wide');
      // Traffic of sessions outside the topic does not force the whole fan-out into this turn.
      outsiderSession.send('unrelated');
      expect(sessions[0]!._broadcasts!.pendingFor('t')).toBe(true);
      const last = sessions.at(-1)!;
      const lastClient = t.clients[sessions.length - 1]!;
      last.unsubscribe('t');
      last.send('after leaving');
      expect(await collect(lastClient, 2)).toEqual(['wide', 'after leaving']);
      expect(await collect(outsider, 1)).toEqual(['unrelated']);
    } finally {
      await t.close();
    }
  }, 60_000);

  it('permessage-deflate members fall back to ws.send; order holds with direct sends interleaved', async () => {
    const t = await setup(2, {}, 2);
    try {
      const expected: string[] = [];
      for (let i = 0; i < 300; i++) {
        // Above and below ws's 1 KiB compression threshold, so some sends are compressed asynchronously.
        const m = `${i}:${'x'.repeat(i % 2 === 0 ? 2_000 : 10)}`;
        expected.push(m);
        if (i % 4 === 0) for (const s of t.gate.sessions) s.send(m);
        else t.gate.publish('t', m);
        if (i % 25 === 0) await new Promise((r) => setImmediate(r));
      }
      for (const ws of t.clients) expect(await collect(ws, expected.length)).toEqual(expected);
    } finally {
      await t.close();
    }
  });

  it('a broker handing text over as a Buffer still delivers text, on both paths', async () => {
    let deliver: ((payload: Buffer | string, binary: boolean) => void) | undefined;
    const broker: Broker = {
      subscribe: (_topic, onMessage) => {
        deliver = onMessage;
      },
      unsubscribe: () => {},
      publish: () => {},
      close: () => {},
    };
    const t = await setup(1, { broker }, 1);
    try {
      deliver!(Buffer.from('text from afar'), false);
      deliver!(Buffer.from([1, 2]), true);
      for (const ws of t.clients) {
        const [text, bin] = await collect(ws, 2);
        expect(text).toBe('text from afar');
        expect(Buffer.isBuffer(bin) && [...bin]).toEqual([1, 2]);
      }
    } finally {
      await t.close();
    }
  });
});

// Issue 16: no module-level state shared between gates. Broadcast queues used to be process-wide: a
// fan-out still under way in one gate held back another gate's publishes, and a direct send in the other
// gate (to a member of a topic with the same name) forced the first gate's whole fan-out into its turn.
describe('each gate broadcasts on its own', () => {
  it("a fan-out spread over turns in one gate neither delays nor is forced by another gate's traffic", async () => {
    const a = await setup(SLICE + 76);
    const b = await setup(1);
    try {
      const wide = [...a.gate.topicMembers('t')];
      const written = () => wide.filter((s) => socketOf(s.raw).writableLength > 0).length;
      a.gate.publish('t', 'wide');
      expect(written()).toBe(SLICE); // the rest waits for gate a's next turn

      const [member] = [...b.gate.topicMembers('t')];
      b.gate.publish('t', 'narrow');
      // Written in this turn: gate b's publish does not queue behind gate a's fan-out.
      expect(socketOf(member!.raw).writableLength).toBeGreaterThan(0);
      member!.send('direct');
      // Gate b's direct send settles gate b's deliveries only: gate a's fan-out still waits for its turn.
      expect(written()).toBe(SLICE);

      expect(await collect(b.clients[0]!, 2)).toEqual(['narrow', 'direct']);
      for (const ws of a.clients) expect(await collect(ws, 1)).toEqual(['wide']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);

  it("one gate's corked sockets are flushed at the end of the phase, whatever another gate has corked", async () => {
    // More sockets than one flush batch, all written in one turn: gate a uncorks them over two turns.
    const a = await setup(FLUSH_BATCH + 88);
    const b = await setup(1);
    try {
      a.gate.publish('t', 'wide');
      const [member] = [...b.gate.topicMembers('t')];
      b.gate.publish('t', 'narrow');
      const socket = socketOf(member!.raw);
      expect(socket.writableCorked).toBe(1);
      await new Promise<void>((resolve) => setImmediate(resolve));
      // Gate b's flush is its own: not behind gate a's first batch.
      expect(socket.writableCorked).toBe(0);
      expect(await collect(b.clients[0]!, 1)).toEqual(['narrow']);
      for (const ws of a.clients) expect(await collect(ws, 1)).toEqual(['wide']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);
});
