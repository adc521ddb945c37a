import { once } from 'node:events';
import { createServer } from 'node:http';
import { CloseCode, createGate, expireAt, expiring } from '@wsgate/core';
import { wsTest } from '@wsgate/core/testing';
import { wsgate } from '@wsgate/express';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { _expiryState } from '../../packages/core/src/contracts/expiry.ts';
import { closed, openClient } from '../support/ws.ts';

describe('session expiry', () => {
  it('authenticate states when the credential expires: the session closes then with 4401', async () => {
    const gate = createGate<{ name: string }>({
      heartbeat: false,
      authenticate: () => expiring({ name: 'ada' }, Date.now() + 150),
    });
    let user: unknown;
    gate.route('/s', (s) => {
      user = s.user;
    });
    try {
      const ws = await gate.inject('/s');
      const opened = Date.now();
      const c = await closed(ws);
      const after = Date.now() - opened;
      expect(c).toEqual({ code: 4401, reason: 'credential expired' });
      expect(CloseCode.credentialExpired).toBe(4401);
      expect(user).toEqual({ name: 'ada' }); // the wrapper is gone
      expect(after).toBeGreaterThanOrEqual(100);
      expect(after).toBeLessThan(2_000);
    } finally {
      await gate.close({ timeout: 500 });
    }
  });

  it('onExpire extends the session (token refresh) until it returns undefined', async () => {
    let refreshes = 0;
    const gate = createGate({
      heartbeat: false,
      authenticate: () => expiring('u', Date.now() + 50),
      onExpire: async () => (++refreshes < 3 ? Date.now() + 50 : undefined),
    });
    gate.route('/s', (s) => s.on('message', (m) => s.send(m)));
    try {
      await wsTest(gate, '/s', { timeout: 3_000 })
        .sendText('still open')
        .expectText('still open')
        .expectClosed(4401);
      expect(refreshes).toBe(3);
    } finally {
      await gate.close({ timeout: 500 });
    }
  });

  it("a gate's sessions share one timer, and closed sessions leave the heap at once", async () => {
    const gate = createGate({ heartbeat: false, authenticate: () => expiring('u', Date.now() + 60_000) });
    gate.route('/s', () => {});
    try {
      const clients = await Promise.all(Array.from({ length: 20 }, () => gate.inject('/s')));
      const [session] = [...gate.sessions];
      expect(_expiryState(session!)).toEqual({ pending: 20, armed: true });
      await Promise.all(
        clients.map((ws) => {
          const c = closed(ws);
          ws.close();
          return c;
        }),
      );
      await expect.poll(() => _expiryState(session!)).toEqual({ pending: 0, armed: false });
    } finally {
      await gate.close({ timeout: 500 });
    }
  });

  // Issue 16: no module-level state shared between gates (the heap and its timer used to be process-wide).
  it("each gate has its own deadlines and timer: another gate's sessions are not in them", async () => {
    const a = createGate({ heartbeat: false, authenticate: () => expiring('u', Date.now() + 60_000) });
    const b = createGate({ heartbeat: false, authenticate: () => expiring('u', Date.now() + 60_000) });
    for (const gate of [a, b]) gate.route('/s', () => {});
    try {
      await Promise.all(Array.from({ length: 3 }, () => a.inject('/s')));
      const ws = await b.inject('/s');
      const [inA] = [...a.sessions];
      const [inB] = [...b.sessions];
      expect(_expiryState(inA!)).toEqual({ pending: 3, armed: true });
      expect(_expiryState(inB!)).toEqual({ pending: 1, armed: true });
      const c = closed(ws);
      ws.close();
      await c;
      await expect.poll(() => _expiryState(inB!)).toEqual({ pending: 0, armed: false });
      expect(_expiryState(inA!)).toEqual({ pending: 3, armed: true });
    } finally {
      await Promise.all([a.close({ timeout: 500 }), b.close({ timeout: 500 })]);
    }
  });

  it('Express: middleware authenticates, the handler states the expiry with expireAt(session, at)', async () => {
    const app = express();
    const gate = wsgate(app, { heartbeat: false });
    app.use((req, _res, next) => {
      (req as { exp?: number }).exp = Date.now() + 100;
      next();
    });
    app.ws('/feed', (session, req) => {
      expireAt(session, (req as { exp?: number }).exp!);
    });
    const server = createServer(app);
    gate.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    try {
      const ws = await openClient(`ws://127.0.0.1:${port}/feed`);
      expect(await closed(ws)).toEqual({ code: 4401, reason: 'credential expired' });
    } finally {
      await gate.close({ timeout: 500 });
      server.close();
    }
  });

  it('bad expiries and hooks are TypeErrors', () => {
    expect(() => expiring('u', Number.NaN)).toThrow(/epoch milliseconds/);
    expect(() => createGate({ onExpire: 5 as never })).toThrow(/onExpire must be a function/);
  });
});
