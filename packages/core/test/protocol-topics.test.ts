import { describe, expect, it } from 'vitest';
import { type CoreTarget, coreFixture } from '../../../test/support/core-fixture.ts';
import { collect, nextMessage, openClient, type WebSocket } from '../../../test/support/ws.ts';
import type { GateOptions, Session } from '../src/index.ts';

type Target = CoreTarget;
const { clients, start } = coreFixture<WebSocket>((c) => c.terminate());

async function serve(options: GateOptions, handler: (s: Session) => void): Promise<Target> {
  return start(options, [{ path: '/p', options: { protocols: ['wsgate.v1'] }, handler }]);
}

async function v1(t: Target, hello: object | null = { t: 'hello' }): Promise<WebSocket> {
  const ws = await openClient(`${t.wsUrl}/p`, { protocols: ['wsgate.v1'] });
  clients.push(ws);
  if (hello) ws.send(JSON.stringify(hello));
  return ws;
}

async function bare(t: Target): Promise<WebSocket> {
  const ws = await openClient(`${t.wsUrl}/p`);
  clients.push(ws);
  return ws;
}

const frames = async (ws: WebSocket, n: number) => (await collect(ws, n)).map((f) => JSON.parse(String(f)));

/** Resolves once the handler subscribed a session (the gate counts it among the topic's members). */
async function subscribed(t: Target, topic: string, n: number): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if ((await t.gate.presence(topic).catch(() => [])).length >= n) return;
    await new Promise((r) => setImmediate(r));
  }
}

describe('wsgate.v1 topics', () => {
  it('sends sub before the first pub, pub with topic and position, bare payloads to others', async () => {
    const t = await serve({ history: { size: 10 } }, (s) => {
      void s.subscribe('room', { presence: {} });
      s.on('message', (m) => s.publish('room', m));
    });
    const plain = await bare(t);
    const ws = await v1(t);
    const w2 = await v1(t);
    await subscribed(t, 'room', 3);
    const got = frames(ws, 3);
    const gotPlain = collect(plain, 2);
    w2.send(JSON.stringify({ t: 'msg', d: 'one' }));
    w2.send(JSON.stringify({ t: 'msg', d: Buffer.from([1, 2]).toString('base64'), b: 1 }));
    const [sub, a, b] = await got;
    expect(sub).toEqual({ t: 'sub', topic: 'room', e: expect.any(String), o: 0 });
    expect(a).toEqual({ t: 'pub', topic: 'room', e: sub.e, o: 1, d: 'one' });
    expect(b).toEqual({ t: 'pub', topic: 'room', e: sub.e, o: 2, d: 'AQI=', b: 1 });
    const [p1, p2] = await gotPlain;
    expect(String(p1)).toBe('one');
    expect(Buffer.from(p2 as Buffer)).toEqual(Buffer.from([1, 2]));
  });

  it('holds deliveries that come before hello, then sends sub and them in order', async () => {
    let session: Session | undefined;
    const t = await serve({ history: { size: 10 } }, (s) => {
      session = s;
      void s.subscribe('room', { presence: {} });
    });
    const ws = await v1(t, null);
    await subscribed(t, 'room', 1);
    t.gate.publish('room', 'a');
    t.gate.publish('room', 'b');
    // Published (and delivered to this node) before hello: nothing may reach the client yet.
    await t.gate.history('room');
    expect(session).toBeDefined();
    const got = frames(ws, 3);
    ws.send('{"t":"hello"}');
    const [sub, a, b] = await got;
    expect(sub).toMatchObject({ t: 'sub', topic: 'room', o: 0 });
    expect([a.o, a.d, b.o, b.d]).toEqual([1, 'a', 2, 'b']);
  });

  it('topics without history: pub without position, sub without one, unsub on unsubscribe', async () => {
    const t = await serve({}, (s) => {
      void s.subscribe('news', { presence: {} });
      s.on('message', (m) => {
        if (m === 'leave') s.unsubscribe('news');
      });
    });
    const ws = await v1(t);
    await subscribed(t, 'news', 1);
    const got = frames(ws, 2);
    t.gate.publish('news', 'x');
    expect(await got).toEqual([
      { t: 'sub', topic: 'news' },
      { t: 'pub', topic: 'news', d: 'x' },
    ]);
    ws.send('{"t":"msg","d":"leave"}');
    expect(JSON.parse(String(await nextMessage(ws)))).toEqual({ t: 'unsub', topic: 'news' });
  });

  it('resumes: replays what the client missed after its position, then live, no duplicate', async () => {
    const t = await serve({ history: { size: 50 } }, (s) => void s.subscribe('room'));
    for (let i = 1; i <= 5; i++) t.gate.publish('room', `m${i}`);
    const page = await t.gate.history('room');
    const ws = await v1(t, { t: 'hello', topics: { room: { e: page.epoch, o: 2 } } });
    const got = await frames(ws, 4);
    expect(got[0]).toEqual({ t: 'sub', topic: 'room', e: page.epoch, o: 2, resumed: true });
    expect(got.slice(1).map((f) => [f.o, f.d])).toEqual([
      [3, 'm3'],
      [4, 'm4'],
      [5, 'm5'],
    ]);
    const next = nextMessage(ws);
    t.gate.publish('room', 'm6');
    expect(JSON.parse(String(await next))).toMatchObject({ t: 'pub', o: 6, d: 'm6' });
  });

  it('says resumed:false beyond retention and for another epoch', async () => {
    const t = await serve({ history: { size: 3 } }, (s) => void s.subscribe('room'));
    for (let i = 1; i <= 10; i++) t.gate.publish('room', `m${i}`);
    const { epoch } = await t.gate.history('room');
    const old = await v1(t, { t: 'hello', topics: { room: { e: epoch, o: 1 } } });
    expect((await frames(old, 1))[0]).toEqual({ t: 'sub', topic: 'room', e: epoch, o: 10, resumed: false });
    const other = await v1(t, { t: 'hello', topics: { room: { e: 'gone', o: 9 } } });
    expect((await frames(other, 1))[0]).toEqual({ t: 'sub', topic: 'room', e: epoch, o: 10, resumed: false });
  });

  it('closes 1013 when deliveries held before hello pass the backpressure limit', async () => {
    const t = await serve(
      { backpressure: { highWaterMark: 512, limit: 1024 } },
      (s) => void s.subscribe('room', { presence: {} }),
    );
    const ws = await v1(t, null);
    await subscribed(t, 'room', 1);
    const code = new Promise<number>((r) => ws.once('close', (c) => r(c)));
    for (let i = 0; i < 20; i++) t.gate.publish('room', 'x'.repeat(100));
    expect(await code).toBe(1013);
  });

  it('a topic left before hello sends nothing of it (no sub, no pub, no unsub); direct messages go at once', async () => {
    const t = await serve({ history: { size: 10 } }, (s) => {
      void s.subscribe('gone', { presence: {} });
      void s.subscribe('kept');
      s.send('direct, before hello');
      s.on('message', () => {});
      t.gate.publish('gone', 'never');
      s.unsubscribe('gone');
    });
    const ws = await v1(t, null);
    expect(JSON.parse(String(await nextMessage(ws)))).toEqual({ t: 'msg', d: 'direct, before hello' });
    const got = frames(ws, 2);
    ws.send('{"t":"hello"}');
    t.gate.publish('kept', 'k');
    const [sub, pub] = await got;
    expect(sub).toMatchObject({ t: 'sub', topic: 'kept' });
    expect(pub).toMatchObject({ t: 'pub', topic: 'kept', d: 'k' });
  });

  it('a client already up to date gets sub resumed:true and nothing at or before its position', async () => {
    const t = await serve({ history: { size: 10 } }, (s) => void s.subscribe('room'));
    for (let i = 1; i <= 3; i++) t.gate.publish('room', `m${i}`);
    const { epoch } = await t.gate.history('room');
    const ws = await v1(t, { t: 'hello', topics: { room: { e: epoch, o: 3 } } });
    const got = frames(ws, 2);
    t.gate.publish('room', 'm4'); // held or live, it is the next frame after sub: nothing replayed
    const [sub, next] = await got;
    expect(sub).toEqual({ t: 'sub', topic: 'room', e: epoch, o: 3, resumed: true });
    expect(next).toMatchObject({ t: 'pub', o: 4, d: 'm4' });
  });
});
