import { describe, expect, it } from 'vitest';
import { type CoreTarget, coreFixture } from '../../../test/support/core-fixture.ts';
import { closed, collect, nextMessage, openClient, until, type WebSocket } from '../../../test/support/ws.ts';
import { RequestError, type Session } from '../src/index.ts';

type Target = CoreTarget;
const { clients, start } = coreFixture<WebSocket>((c) => c.terminate());

/** A core gate whose route enables wsgate.v1; `handler` runs per session. */
async function serve(handler: (s: Session) => void): Promise<Target> {
  return start({}, [{ path: '/p', options: { protocols: ['wsgate.v1'] }, handler }]);
}

async function v1(t: Target, hello: object | null = { t: 'hello' }): Promise<WebSocket> {
  const ws = await openClient(`${t.wsUrl}/p`, { protocols: ['wsgate.v1'] });
  clients.push(ws);
  expect(ws.protocol).toBe('wsgate.v1');
  if (hello) ws.send(JSON.stringify(hello));
  return ws;
}

const json = async (ws: WebSocket) => JSON.parse(String(await nextMessage(ws)));

describe('wsgate.v1 on a session', () => {
  it('wraps send() in msg frames and hands the app the payload of msg frames, text and binary', async () => {
    const got: Array<string | Buffer> = [];
    const t = await serve((s) => {
      s.on('message', (m) => {
        got.push(m);
        s.send(m);
      });
    });
    const ws = await v1(t);
    ws.send(JSON.stringify({ t: 'msg', d: 'hi' }));
    ws.send(JSON.stringify({ t: 'msg', d: Buffer.from([0, 1, 255]).toString('base64'), b: 1 }));
    const [a, b] = await collect(ws, 2);
    expect(JSON.parse(String(a))).toEqual({ t: 'msg', d: 'hi' });
    expect(JSON.parse(String(b))).toEqual({ t: 'msg', d: 'AAH/', b: 1 });
    expect(got).toEqual(['hi', Buffer.from([0, 1, 255])]);
  });

  it('wraps sendJson() in msg frames too, also on a route with a message contract', async () => {
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: (value: unknown) => ({ value }),
      },
    };
    const target = await start({}, [
      { path: '/p', options: { protocols: ['wsgate.v1'] }, handler: (s) => s.sendJson({ a: 1 }) },
      {
        path: '/c',
        options: { protocols: ['wsgate.v1'], message: schema } as never,
        handler: (s) => s.sendJson({ b: 2 }),
      },
    ]);
    const plain = await v1(target);
    expect(await json(plain)).toEqual({ t: 'msg', d: '{"a":1}' });
    const ws = await openClient(`${target.wsUrl}/c`, { protocols: ['wsgate.v1'] });
    clients.push(ws);
    ws.send(JSON.stringify({ t: 'hello' }));
    expect(await json(ws)).toEqual({ t: 'msg', d: '{"b":2}' });
  });

  it('answers ping with pong without the application seeing it', async () => {
    const got: unknown[] = [];
    const t = await serve((s) => s.on('message', (m) => got.push(m)));
    const ws = await v1(t);
    ws.send('{"t":"ping","id":7}');
    ws.send('{"t":"ping"}');
    expect(await collect(ws, 2)).toEqual(['{"t":"pong","id":7}', '{"t":"pong"}']);
    expect(got).toEqual([]);
  });

  it('leaves clients that do not offer wsgate.v1 with bare payloads', async () => {
    const t = await serve((s) => s.on('message', (m) => s.send(`echo ${m}`)));
    const ws = await openClient(`${t.wsUrl}/p`);
    clients.push(ws);
    expect(ws.protocol).toBe('');
    ws.send('{"t":"ping"}');
    expect(await nextMessage(ws)).toBe('echo {"t":"ping"}');
  });

  it.each([
    ['not JSON', 'nope', 1007],
    ['an array', '[1]', 1007],
    ['no type', '{"d":"x"}', 1007],
    ['msg without a string d', '{"t":"msg","d":3}', 1007],
    ['req without an id', '{"t":"req","d":1}', 1007],
    ['a bad position', '{"t":"hello","topics":{"a":{"e":"","o":1}}}', 1007],
  ])('closes 1007 on %s', async (_what, frame, code) => {
    const t = await serve(() => {});
    const ws = await v1(t, null);
    ws.send(frame);
    const c = await closed(ws);
    expect(c.code).toBe(code);
    expect(c.reason).toMatch(/^invalid envelope: /);
  });

  it('closes 1002 on a frame before hello and on a second hello, 1003 on a binary message', async () => {
    const t = await serve(() => {});
    const a = await v1(t, null);
    a.send('{"t":"ping"}');
    expect(await closed(a)).toEqual({ code: 1002, reason: 'hello must be the first frame' });
    const b = await v1(t);
    b.send('{"t":"hello"}');
    expect(await closed(b)).toEqual({ code: 1002, reason: 'hello sent twice' });
    const c = await v1(t);
    c.send(Buffer.from('x'));
    expect((await closed(c)).code).toBe(1003);
  });

  it('closes 1002 when no hello comes within the handshake timeout; hello in time keeps the session', async () => {
    const target = await start({ handshakeTimeout: 150 }, [
      { path: '/p', options: { protocols: ['wsgate.v1'] }, handler: () => {} },
    ]);
    const silent = await v1(target, null);
    const polite = await v1(target);
    expect(await closed(silent)).toEqual({ code: 1002, reason: 'hello expected' });
    // One more full timeout, opened after the polite one's timer would have fired had hello not cleared it.
    expect((await closed(await v1(target, null))).code).toBe(1002);
    polite.send('{"t":"ping"}');
    expect(await nextMessage(polite)).toBe('{"t":"pong"}');
    expect(polite.readyState).toBe(1);
  });

  it('ignores frames of an unknown type', async () => {
    const t = await serve(() => {});
    const ws = await v1(t);
    ws.send('{"t":"future-thing","x":1}');
    ws.send('{"t":"ping"}');
    expect(await nextMessage(ws)).toBe('{"t":"pong"}');
  });

  it('records the positions of hello for resume', async () => {
    let session: Session | undefined;
    const t = await serve((s) => {
      session = s;
    });
    const ws = await v1(t, { t: 'hello', topics: { 'room:1': { e: 'Kx7', o: 42 } } });
    ws.send('{"t":"ping"}');
    await nextMessage(ws);
    const positions = await session!._protocol!.resume.ready();
    expect([...positions]).toEqual([['room:1', { e: 'Kx7', o: 42 }]]);
    expect(session!._protocol!.resume.positionFor('room:2')).toBeUndefined();
  });
});

describe('wsgate.v1 requests', () => {
  it('answers client requests with the handler result, its RequestError, or failed', async () => {
    const t = await serve((s) => {
      s.onRequest(async (d) => {
        const op = (d as { op: string }).op;
        if (op === 'sum') return (d as { a: number[] }).a.reduce((x, y) => x + y, 0);
        if (op === 'bytes') return Buffer.from([1, 2]);
        if (op === 'nope') throw new RequestError('not-found', 'no such op');
        throw new Error('secret internals');
      });
      s.on('error', () => {}); // the unexpected error is reported here
    });
    const ws = await v1(t);
    ws.send(JSON.stringify({ t: 'req', id: 1, d: { op: 'sum', a: [1, 2, 3] } }));
    expect(await json(ws)).toEqual({ t: 'res', id: 1, d: 6 });
    ws.send(JSON.stringify({ t: 'req', id: 2, d: { op: 'bytes' } }));
    expect(await json(ws)).toEqual({ t: 'res', id: 2, d: 'AQI=', b: 1 });
    ws.send(JSON.stringify({ t: 'req', id: 3, d: { op: 'nope' } }));
    expect(await json(ws)).toEqual({ t: 'res', id: 3, error: { code: 'not-found', message: 'no such op' } });
    ws.send(JSON.stringify({ t: 'req', id: 4, d: { op: 'boom' } }));
    expect(await json(ws)).toEqual({ t: 'res', id: 4, error: { code: 'failed', message: 'request failed' } });
  });

  it('holds requests until a handler is set after an await, then answers them in order', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const t = await serve(async (s) => {
      await gate;
      s.onRequest((d) => d);
    });
    const ws = await v1(t);
    ws.send('{"t":"req","id":1,"d":"a"}');
    ws.send('{"t":"req","id":2,"d":"b"}');
    ws.send('{"t":"ping"}');
    expect(await nextMessage(ws)).toBe('{"t":"pong"}'); // both requests are held by now
    release();
    expect(await collect(ws, 2)).toEqual(['{"t":"res","id":1,"d":"a"}', '{"t":"res","id":2,"d":"b"}']);
  });

  it('answers busy beyond the held requests', async () => {
    const t = await serve(() => {});
    const ws = await v1(t);
    for (let i = 1; i <= 65; i++) ws.send(`{"t":"req","id":${i},"d":0}`);
    expect(await json(ws)).toEqual({ t: 'res', id: 65, error: { code: 'busy' } });
  });

  it('sends requests to the client and resolves with its reply or its error', async () => {
    const results: unknown[] = [];
    const t = await serve((s) => {
      s.on('message', async () => {
        results.push(await s.request({ q: 1 }));
        results.push(await s.request('x').catch((e: RequestError) => [e.code, e.message]));
      });
    });
    const ws = await v1(t);
    ws.send('{"t":"msg","d":"go"}');
    expect(await json(ws)).toEqual({ t: 'req', id: 1, d: { q: 1 } });
    ws.send('{"t":"res","id":1,"d":{"a":2}}');
    expect(await json(ws)).toEqual({ t: 'req', id: 2, d: 'x' });
    ws.send('{"t":"res","id":2,"error":{"code":"nope","message":"refused"}}');
    ws.send('{"t":"ping"}');
    await nextMessage(ws);
    expect(results).toEqual([{ a: 2 }, ['nope', 'refused']]);
  });

  it('times a request out, ignores its late reply, and fails pending requests with closed on close', async () => {
    let session!: Session;
    const t = await serve((s) => {
      session = s;
    });
    const ws = await v1(t);
    ws.send('{"t":"ping"}');
    await nextMessage(ws);
    const timedOut = session.request('slow', { timeout: 30 }).catch((e: RequestError) => e.code);
    expect(await json(ws)).toMatchObject({ t: 'req', id: 1 });
    expect(await timedOut).toBe('timeout');
    ws.send('{"t":"res","id":1,"d":"late"}'); // ignored: nothing is waiting for id 1
    ws.send('{"t":"res","id":99,"d":"unknown"}');
    const pending = session.request('never').catch((e: RequestError) => e.code);
    expect(await json(ws)).toMatchObject({ t: 'req', id: 2 });
    ws.close();
    expect(await pending).toBe('closed');
    expect(await session.request('after').catch((e: RequestError) => e.code)).toBe('closed');
  });

  it('rejects request() on a session without the protocol', async () => {
    let session!: Session;
    const t = await serve((s) => {
      session = s;
    });
    const ws = await openClient(`${t.wsUrl}/p`);
    clients.push(ws);
    await until(() => session !== undefined, 'the handler');
    await expect(session.request('x')).rejects.toThrow(/needs a client speaking wsgate.v1/);
  });
});
