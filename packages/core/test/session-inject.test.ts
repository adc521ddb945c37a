import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { closed, collect, track, until } from '../../../test/support/ws.ts';
import { createGate, InjectRejectedError, type Session } from '../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('gate.inject', () => {
  it('opens a real ws client over an in-memory duplex: headers, address and messages reach the session', async () => {
    const gate = createGate({ heartbeat: false });
    gate.route('/echo/:name', (s) => {
      s.send(JSON.stringify({ name: s.params.name, h: s.headers['x-test'], ip: s.remoteAddress }));
      s.on('message', (m) => s.send(m));
    });
    try {
      const ws = track(
        await gate.inject('/echo/ada', { headers: { 'X-Test': 'yes' }, remoteAddress: '10.1.2.3' }),
      );
      expect(JSON.parse((await collect(ws, 1))[0] as string)).toEqual({
        name: 'ada',
        h: 'yes',
        ip: '10.1.2.3',
      });
      ws.send('text');
      ws.send(Buffer.from([1, 2]));
      const [text, bin] = await collect(ws, 2);
      expect(text).toBe('text');
      expect(Buffer.isBuffer(bin) && [...bin]).toEqual([1, 2]);
      const code = closed(ws);
      ws.close(4000, 'done');
      expect((await code).code).toBe(4000);
      await until(() => gate.sessions.size === 0, 'the session to close');
    } finally {
      await gate.close({ timeout: 500 });
    }
  });

  it('a refused upgrade rejects with InjectRejectedError carrying the status and body', async () => {
    const gate = createGate({ heartbeat: false, authenticate: (req) => req.headers.authorization });
    gate.route('/private', () => {});
    try {
      const missing = await gate.inject('/nowhere').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(InjectRejectedError);
      expect((missing as InjectRejectedError).status).toBe(404);
      const anonymous = await gate.inject('/private').catch((e: unknown) => e);
      expect((anonymous as InjectRejectedError).status).toBe(401);
      const ok = await gate.inject('/private', { headers: { Authorization: 'Bearer x' } });
      ok.close();
    } finally {
      await gate.close({ timeout: 500 });
    }
  });

  it('heartbeat reaps an injected client created with autoPong: false', async () => {
    const gate = createGate({ heartbeat: { interval: 100, timeout: 100 } });
    gate.route('/idle', () => {});
    try {
      const live = await gate.inject('/idle');
      const dead = await gate.inject('/idle', { client: { autoPong: false } });
      expect((await closed(dead)).code).toBe(1006);
      expect(live.readyState).toBe(1);
      expect(gate.sessions.size).toBe(1);
      live.close();
    } finally {
      await gate.close({ timeout: 500 });
    }
  });
});

describe('session internals', () => {
  it('a long queue pauses the socket (so heartbeat skips it) and delivering the queue resumes it', async () => {
    let release!: () => void;
    const ready = new Promise<void>((r) => {
      release = r;
    });
    const gate = createGate({ heartbeat: false, limits: { messages: false } });
    gate.route('/slow', async (s) => {
      await ready;
      s.on('message', (m) => s.send(m));
    });
    try {
      const ws = track(await gate.inject('/slow'));
      for (let i = 0; i < 400; i++) ws.send(`m${i}`);
      await until(() => gate.stats().messagesIn >= 256, 'the queue to fill');
      const [session] = [...gate.sessions] as Session[];
      expect(session!._pausedByGate).toBe(true);
      release();
      const got = await collect(ws, 400);
      expect(got[399]).toBe('m399');
      expect(session!._pausedByGate).toBe(false);
      ws.close();
    } finally {
      await gate.close({ timeout: 500 });
    }
  });

  it('the request object is not retained once the handler has settled', async () => {
    let ref: WeakRef<IncomingMessage> | undefined;
    const gate = createGate({ heartbeat: false });
    gate.route('/hold', (s, req) => {
      ref = new WeakRef(req);
      s.data.note = 'copied what it needed';
    });
    try {
      const ws = await gate.inject('/hold', { headers: { 'X-Kept': 'as a header copy' } });
      await until(() => ref !== undefined, 'the handler to run');
      const [session] = [...gate.sessions];
      await until(() => {
        gc();
        return ref!.deref() === undefined;
      }, 'the request to be collected');
      // What the session needs was copied.
      expect(session!.headers['x-kept']).toBe('as a header copy');
      expect(session!.url).toBe('/hold');
      ws.close();
    } finally {
      await gate.close({ timeout: 500 });
    }
  });
});
