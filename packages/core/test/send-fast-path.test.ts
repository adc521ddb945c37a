import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { collect, track, type WebSocket } from '../../../test/support/ws.ts';
import { createGate, type Gate, type RouteOptions, type Session } from '../src/index.js';
import { JOIN_BELOW } from '../src/topics/framing.js';

/**
 * `session.send` of a small string or Buffer frames the message itself and writes it to the socket in one
 * chunk (ws.send would write the header and the payload apart); anything ws must handle itself (compression,
 * a large message) still goes through ws.send. What the client receives is the same either way.
 */
async function setup(): Promise<{
  gate: Gate;
  sessions: Session[];
  clients: WebSocket[];
  close(): Promise<void>;
}> {
  const gate = createGate({ heartbeat: false });
  const sessions: Session[] = [];
  gate.route('/plain', (s) => void sessions.push(s));
  gate.route(
    '/zip',
    { perMessageDeflate: { threshold: 0 } } satisfies RouteOptions,
    (s) => void sessions.push(s),
  );
  const clients = [
    track(await gate.inject('/plain', { client: { perMessageDeflate: false } })),
    track(await gate.inject('/zip', { client: { perMessageDeflate: true } })),
  ];
  return {
    gate,
    sessions,
    clients,
    async close() {
      for (const ws of clients) ws.terminate();
      await gate.close({ timeout: 500 });
    },
  };
}

/** Counts the socket writes and ws.send calls a function makes. */
function counting(session: Session, run: () => void): { writes: number; wsSends: number } {
  const socket = (session.raw as unknown as { _socket: Socket })._socket;
  const count = { writes: 0, wsSends: 0 };
  const write = socket.write;
  const send = session.raw.send;
  socket.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
    count.writes++;
    return write.apply(this, args);
  } as Socket['write'];
  session.raw.send = function (this: WebSocket, ...args: Parameters<WebSocket['send']>) {
    count.wsSends++;
    return send.apply(this, args);
  } as WebSocket['send'];
  try {
    run();
  } finally {
    socket.write = write;
    session.raw.send = send;
  }
  return count;
}

describe('send fast path', () => {
  it('a small string or Buffer is framed once and written in one chunk; the client gets text and binary', async () => {
    const t = await setup();
    try {
      const plain = t.sessions[0]!;
      expect(counting(plain, () => plain.send('hello'))).toEqual({ writes: 1, wsSends: 0 });
      expect(counting(plain, () => plain.send(Buffer.from([1, 2, 3])))).toEqual({ writes: 1, wsSends: 0 });
      const mid = 'é'.repeat(200); // 400 bytes: the 16-bit length form
      expect(counting(plain, () => plain.send(mid))).toEqual({ writes: 1, wsSends: 0 });
      const got = await collect(t.clients[0]!, 3);
      expect(got[0]).toBe('hello');
      expect(Buffer.isBuffer(got[1])).toBe(true);
      expect([...(got[1] as Buffer)]).toEqual([1, 2, 3]);
      expect(got[2]).toBe(mid);
    } finally {
      await t.close();
    }
  });

  it('compression and large messages still go through ws.send, in order with the fast path', async () => {
    const t = await setup();
    try {
      const [plain, zipped] = t.sessions as [Session, Session];
      expect(counting(zipped, () => zipped.send('squeeze me'))).toMatchObject({ wsSends: 1 });
      expect(await collect(t.clients[1]!, 1)).toEqual(['squeeze me']);
      const big = 'x'.repeat(JOIN_BELOW + 1);
      expect(counting(plain, () => plain.send(big))).toMatchObject({ wsSends: 1 });
      plain.send('after');
      expect(await collect(t.clients[0]!, 2)).toEqual([big, 'after']);
    } finally {
      await t.close();
    }
  });
});
