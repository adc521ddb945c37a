import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { collect, track, type WebSocket } from '../../../test/support/ws.ts';
import { createGate, type Gate, type Session } from '../src/index.js';
import { FLUSH_BATCH, SLICE } from '../src/topics/broadcast.js';

/** A gate whose `/t` joins topic 't' and says 'ready', with `n` injected clients, each seen ready. */
async function gateWith(n: number): Promise<{ gate: Gate; clients: WebSocket[]; close(): Promise<void> }> {
  const gate = createGate({ heartbeat: false, limits: { connectionsPerIp: 5_000 } });
  gate.route('/t', (s) => {
    s.subscribe('t');
    s.send('ready');
  });
  const clients: WebSocket[] = [];
  for (let i = 0; i < n; i++) clients.push(track(await gate.inject('/t')));
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

const socketOf = (s: Session) => (s.raw as unknown as { _socket: Socket })._socket;

// Issue 16: no module-level state shared between gates. Broadcast queues used to be process-wide: a
// fan-out still under way in one gate held back another gate's publishes, and a direct send in the other
// gate (to a member of a topic with the same name) forced the first gate's whole fan-out into its turn.
describe('each gate broadcasts on its own', () => {
  it("a fan-out spread over turns in one gate neither delays nor is forced by another gate's traffic", async () => {
    const a = await gateWith(SLICE + 76);
    const b = await gateWith(1);
    try {
      const wide = [...a.gate.topicMembers('t')];
      const written = () => wide.filter((s) => socketOf(s).writableLength > 0).length;
      a.gate.publish('t', 'wide');
      expect(written()).toBe(SLICE); // the rest waits for gate a's next turn

      const [member] = [...b.gate.topicMembers('t')];
      b.gate.publish('t', 'narrow');
      // Written in this turn: gate b's publish does not queue behind gate a's fan-out.
      expect(socketOf(member!).writableLength).toBeGreaterThan(0);
      member!.send('direct');
      // Gate b's direct send settles gate b's deliveries only: gate a's fan-out still waits for its turn.
      expect(written()).toBe(SLICE);

      expect(await collect(b.clients[0]!, 2)).toEqual(['narrow', 'direct']);
      for (const ws of a.clients) expect(await collect(ws, 1)).toEqual(['wide']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);

  it("one gate's corked sockets are flushed on the next tick, whatever another gate has corked", async () => {
    // More sockets than one flush batch, all written in one turn: gate a uncorks them over two turns.
    const a = await gateWith(FLUSH_BATCH + 88);
    const b = await gateWith(1);
    try {
      a.gate.publish('t', 'wide');
      const [member] = [...b.gate.topicMembers('t')];
      b.gate.publish('t', 'narrow');
      const socket = socketOf(member!);
      expect(socket.writableCorked).toBe(1);
      await new Promise<void>((resolve) => process.nextTick(resolve));
      // Gate b's flush is its own: not behind gate a's first batch.
      expect(socket.writableCorked).toBe(0);
      expect(await collect(b.clients[0]!, 1)).toEqual(['narrow']);
      for (const ws of a.clients) expect(await collect(ws, 1)).toEqual(['wide']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);
});
