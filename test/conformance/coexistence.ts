import { Server as SocketIoServer } from 'socket.io';
import { io as socketIoClient } from 'socket.io-client';
import { describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw.ts';
import { nextMessage, openClient } from '../support/ws.ts';
import type { ConformanceRoute, ConformanceTarget } from './target.ts';

const echo: ConformanceRoute = { path: '/echo', handler: (s) => s.on('message', (m) => s.send(m)) };

/**
 * One server, two WebSocket libraries: `shouldHandle` leaves socket.io its upgrades, so an app that already
 * runs socket.io can add wsgate routes on the same port (the framework would otherwise 404 them).
 */
export function coexistenceSuite(target: ConformanceTarget): void {
  describe(`${target.name}: sharing the server with another upgrade listener`, () => {
    it('shouldHandle leaves socket.io its upgrades; both work on one port; other paths still get 404', async () => {
      const t = await target.start({ shouldHandle: (req) => !req.url?.startsWith('/socket.io/') }, [echo]);
      const io = new SocketIoServer(t.server, { transports: ['websocket'] });
      io.on('connection', (socket) => {
        socket.on('ping', (n: number, ack: (reply: string) => void) => ack(`pong ${n}`));
      });
      const client = socketIoClient(t.url, {
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      try {
        await new Promise((resolve, reject) => {
          client.once('connect', () => resolve(undefined));
          client.once('connect_error', reject);
        });
        expect(await client.timeout(5_000).emitWithAck('ping', 1)).toBe('pong 1');

        const ws = await openClient(`${t.wsUrl}/echo`);
        ws.send('through wsgate');
        expect(await nextMessage(ws)).toBe('through wsgate');
        ws.close();

        const nowhere = await rawRequest(`${t.url}/nowhere`);
        expect(nowhere.status).toBe(404);
        expect(nowhere.closed).toBe(true);
        // socket.io's upgrade was never the gate's: one session accepted, nothing refused but the 404.
        expect(t.gate.stats().accepted).toBe(1);
        expect(Object.keys(t.gate.stats().rejected).filter((k) => k !== '404')).toEqual([]);
        expect(await client.timeout(5_000).emitWithAck('ping', 2)).toBe('pong 2');
      } finally {
        client.close();
        io.disconnectSockets(true);
        io.engine.close();
        await t.close();
      }
    });
  });
}
