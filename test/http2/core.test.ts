import { once } from 'node:events';
import {
  createServer as createH2cServer,
  createSecureServer,
  constants as h2,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { inflateRawSync, constants as zlib } from 'node:zlib';
import { createGate, type Gate, type GateOptions, type Session } from '@wsgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { deflatePayload, frame, Op } from '../support/frames.ts';
import { nextMessage, openClient, until } from '../support/ws.ts';
import { h2Connect, openWebSocket, testCertificate } from './h2-peer.ts';

type Server = ReturnType<typeof createH2cServer> | ReturnType<typeof createSecureServer>;

const toClose: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of toClose.splice(0).reverse()) await c();
});

/** A gate on an h2c server (or a TLS one with `allowHTTP1`), an echo route and a close log. */
async function start(options: GateOptions<unknown> = {}, tls?: { key: Buffer; cert: Buffer }) {
  const versions: string[] = [];
  const gate: Gate<unknown> = createGate({
    heartbeat: false,
    // The request each upgrade ran with, as authenticate sees it.
    authenticate: (req) => {
      versions.push(req.httpVersion);
      return {};
    },
    ...options,
  });
  const closes: Array<{ code: number; reason: string }> = [];
  const opened: Session<unknown>[] = [];
  gate.on('close', (_s, code, reason) => closes.push({ code, reason }));
  gate.on('open', (s) => opened.push(s));
  gate.route('/echo/:room', (s) => s.on('message', (m) => s.send(m)));
  const server: Server = tls
    ? createSecureServer({ ...tls, allowHTTP1: true }, (_req, res) => res.end('page'))
    : createH2cServer();
  gate.attach(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  toClose.push(async () => {
    await gate.close({ timeout: 500 });
    await new Promise((r) => server.close(r));
  });
  return {
    gate,
    server,
    port,
    closes,
    opened,
    versions,
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
  };
}

async function connectTo(url: string, ca?: Buffer) {
  const session = await h2Connect(url, ca ? { ca } : {});
  toClose.push(() => {
    session.destroy();
  });
  return session;
}

/** Resolves once `n` sessions have closed. */
async function closedCount(t: { gate: Gate<unknown>; closes: unknown[] }, n: number) {
  while (t.closes.length < n) await once(t.gate, 'close');
}

describe('WebSockets over HTTP/2 (RFC 8441), core alone', () => {
  it('advertises SETTINGS_ENABLE_CONNECT_PROTOCOL and echoes text and binary with :status 200', async () => {
    const t = await start();
    const session = await connectTo(t.url);
    const res = await openWebSocket(session, '/echo/lobby');
    expect(res.status).toBe(200);
    expect(res.headers['sec-websocket-accept']).toBeUndefined();
    expect(res.headers.upgrade).toBeUndefined();
    const peer = res.peer!;
    peer.send('hello');
    expect(await peer.next()).toEqual({ data: Buffer.from('hello'), binary: false });
    peer.send(Buffer.from([0, 1, 2, 255]));
    expect(await peer.next()).toEqual({ data: Buffer.from([0, 1, 2, 255]), binary: true });
    expect(t.opened[0]?.params).toEqual({ room: 'lobby' });
    expect(t.opened[0]?.headers.host).toBe(`127.0.0.1:${t.port}`);
    expect(t.versions).toEqual(['2.0']);
  });

  it('answers a ping with a pong and ends with the client close code', async () => {
    const t = await start();
    const peer = (await openWebSocket(await connectTo(t.url), '/echo/a')).peer!;
    peer.ping('are-you-there');
    peer.send('after ping');
    await peer.next();
    expect(peer.pongs.map(String)).toEqual(['are-you-there']);
    peer.close(4321, 'done');
    expect(await peer.closed).toEqual({ code: 4321, reason: 'done' });
    expect(await peer.ended).toBe(h2.NGHTTP2_NO_ERROR);
    await closedCount(t, 1);
    expect(t.closes).toEqual([{ code: 4321, reason: 'done' }]);
  });

  it('sends a server close code to the client', async () => {
    const t = await start();
    const peer = (await openWebSocket(await connectTo(t.url), '/echo/a')).peer!;
    await t.gate.close({ code: 4000, reason: 'bye', timeout: 2_000 });
    expect(await peer.closed).toEqual({ code: 4000, reason: 'bye' });
    // The gate reports the close frame the client answered with (code only, from this peer).
    expect(t.closes).toEqual([{ code: 4000, reason: '' }]);
  });

  it('negotiates a subprotocol and runs authenticate with the HTTP/2 headers', async () => {
    const t = await start({
      protocols: ['chat.v2'],
      authenticate: (req) => (req.headers.authorization === 'Bearer ok' ? { id: 1 } : null),
    });
    const session = await connectTo(t.url);
    const refused = await openWebSocket(session, '/echo/a', { 'sec-websocket-protocol': 'chat.v2' });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="websocket"');
    expect(refused.body).toBe('Authentication required\n');
    const ok = await openWebSocket(session, '/echo/a', {
      'sec-websocket-protocol': 'chat.v1, chat.v2',
      authorization: 'Bearer ok',
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['sec-websocket-protocol']).toBe('chat.v2');
    expect(t.opened[0]?.user).toEqual({ id: 1 });
  });

  it('refuses with HTTP/2 responses: 404, 403 Origin, 503 over the connection limit, 426 without a version', async () => {
    const t = await start({ origins: ['https://app.example'], limits: { connections: 1 } });
    const session = await connectTo(t.url);
    const notFound = await openWebSocket(session, '/nowhere', { origin: 'https://app.example' });
    expect([notFound.status, notFound.body]).toEqual([404, 'No WebSocket route matches this path\n']);
    const origin = await openWebSocket(session, '/echo/a', { origin: 'https://evil.example' });
    expect(origin.status).toBe(403);
    const version = await openWebSocket(session, '/echo/a', {
      origin: 'https://app.example',
      'sec-websocket-version': '12',
    });
    expect([version.status, version.headers['sec-websocket-version']]).toEqual([426, '13']);
    const first = await openWebSocket(session, '/echo/a', { origin: 'https://app.example' });
    expect(first.status).toBe(200);
    const full = await openWebSocket(session, '/echo/b', { origin: 'https://app.example' });
    expect([full.status, full.headers['retry-after']]).toEqual([503, '5']);
    // The connection and the open WebSocket survive every refusal.
    first.peer!.send('still here');
    expect(String((await first.peer!.next()).data)).toBe('still here');
    expect(t.gate.stats().rejected).toMatchObject({ 403: 1, 404: 1, 426: 1, 503: 1 });
  });

  it('carries many WebSockets on one HTTP/2 connection, each with its own session', async () => {
    const t = await start();
    const session = await connectTo(t.url);
    const peers = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => (await openWebSocket(session, `/echo/r${i}`)).peer!),
    );
    for (const [i, p] of peers.entries()) p.send(`m${i}`);
    const got = await Promise.all(peers.map(async (p) => String((await p.next()).data)));
    expect(got).toEqual(peers.map((_, i) => `m${i}`));
    expect(t.gate.sessions.size).toBe(50);
    // Topics: one publish reaches every stream of the connection.
    for (const session of t.gate.sessions) session.subscribe('all');
    t.gate.publish('all', 'to everyone');
    const heard = await Promise.all(peers.map(async (p) => String((await p.next()).data)));
    expect(heard).toEqual(peers.map(() => 'to everyone'));
  });

  it('ends the session with 1006 on RST_STREAM, and the others on the connection go on', async () => {
    const t = await start();
    const session = await connectTo(t.url);
    const a = (await openWebSocket(session, '/echo/a')).peer!;
    const b = (await openWebSocket(session, '/echo/b')).peer!;
    a.stream.close(h2.NGHTTP2_CANCEL);
    await closedCount(t, 1);
    expect(t.closes).toEqual([{ code: 1006, reason: '' }]);
    b.send('b lives');
    expect(String((await b.next()).data)).toBe('b lives');
    expect(t.gate._counters()).toMatchObject({ sessions: 1, perIp: 1, pending: 0 });
  });

  it('ends every session on the connection with 1006 when it closes or sends GOAWAY with an error', async () => {
    const t = await start();
    const one = await connectTo(t.url);
    const two = await connectTo(t.url);
    for (let i = 0; i < 5; i++) await openWebSocket(one, `/echo/${i}`);
    for (let i = 0; i < 3; i++) await openWebSocket(two, `/echo/${i}`);
    one.destroy();
    await closedCount(t, 5);
    two.goaway(h2.NGHTTP2_PROTOCOL_ERROR);
    await closedCount(t, 8);
    expect(t.closes.map((c) => c.code)).toEqual(Array(8).fill(1006));
    expect(t.gate._counters()).toMatchObject({ sessions: 0, perIp: 0, pending: 0 });
  });

  it('lets a WebSocket finish after a GOAWAY without error (RFC 9113: open streams complete)', async () => {
    const t = await start();
    const session = await connectTo(t.url);
    const peer = (await openWebSocket(session, '/echo/a')).peer!;
    session.goaway(h2.NGHTTP2_NO_ERROR);
    peer.send('after goaway');
    expect(String((await peer.next()).data)).toBe('after goaway');
    peer.close(1000);
    await closedCount(t, 1);
    expect(t.closes[0]?.code).toBe(1000);
  });

  it('holds back a stream whose peer does not read: flow control is backpressure', async () => {
    const t = await start({ backpressure: { limit: 256 * 1024 }, closeTimeout: 200 });
    const session = await connectTo(t.url);
    const res = await openWebSocket(session, '/echo/a');
    const stream = res.peer!.stream;
    stream.pause();
    stream.removeAllListeners('data');
    const s = t.opened[0]!;
    const chunk = Buffer.alloc(16 * 1024, 1);
    // The peer's window (64 KiB by default) fills; then every write waits: bufferedAmount grows until the
    // session's limit closes it with 1013, instead of the server buffering without end.
    let most = 0;
    for (let i = 0; i < 200 && s.readyState === 1; i++) {
      s.send(chunk);
      most = Math.max(most, s.raw.bufferedAmount);
      await new Promise((r) => setImmediate(r));
    }
    expect(t.gate.stats().slowConsumers.closed).toBe(1);
    // Held back by the stream (not handed to HTTP/2 and forgotten), and no more than limit plus a message.
    expect(most).toBeGreaterThan(128 * 1024);
    expect(most).toBeLessThanOrEqual(256 * 1024 + 2 * chunk.length);
    // The 1013 close frame cannot pass a window that is never reopened: after closeTimeout ws drops the
    // stream (RST_STREAM) and reports 1006, as it does for a TCP peer that stopped reading.
    await closedCount(t, 1);
    expect(t.closes[0]?.code).toBe(1006);
    expect(await res.peer!.ended).toBe(h2.NGHTTP2_CANCEL);
  });

  it('heartbeat: pings go over the stream and a peer that never answers is dropped', async () => {
    const t = await start({ heartbeat: { interval: 50, timeout: 50 } });
    const peer = (await openWebSocket(await connectTo(t.url), '/echo/a')).peer!;
    await closedCount(t, 1);
    expect(t.closes[0]?.code).toBe(1006);
    expect(peer.pings.length).toBeGreaterThanOrEqual(1);
    expect(await peer.ended).toBe(h2.NGHTTP2_CANCEL);
  });

  it("does not read a stream whose session holds limits.inbound: the client's window stays shut", async () => {
    const t = await start({ limits: { inbound: 64 * 1024 } });
    let held: AsyncIterator<unknown> | undefined;
    t.gate.route('/held', (s) => {
      held = s[Symbol.asyncIterator]();
    });
    const peer = (await openWebSocket(await connectTo(t.url), '/held')).peer!;
    const message = Buffer.alloc(16 * 1024, 2);
    const total = 256;
    for (let i = 0; i < total; i++) peer.send(message);
    const socket = (t.opened[0]!.raw as unknown as { _socket: { stream: ServerHttp2Stream } })._socket;
    // The server stops reading: its side of the stream's window runs out and is not reopened.
    await until(() => socket.stream.state.localWindowSize === 0, 'the stream window to close');
    const buffered =
      socket.stream.readableLength + (socket as unknown as { readableLength: number }).readableLength;
    expect(buffered).toBeLessThanOrEqual(256 * 1024);
    expect(peer.stream.writableLength).toBeGreaterThan(total * message.length - 1024 * 1024);
    // Reading again reopens it: every message arrives.
    for (let i = 0; i < total; i++) await held!.next();
  });

  it('negotiates permessage-deflate over HTTP/2 and inflates a compressed frame', async () => {
    const t = await start({ perMessageDeflate: true });
    const res = await openWebSocket(await connectTo(t.url), '/echo/z', {
      'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits',
    });
    expect(res.headers['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
    res.peer!.stream.write(
      frame({ opcode: Op.text, rsv1: true, payload: deflatePayload(Buffer.from('squeezed')) }),
    );
    // The echo comes back compressed too (RSV1): inflated here, by hand.
    const [head] = (await once(res.peer!.stream, 'data')) as [Buffer];
    expect(head[0]).toBe(0xc1);
    const body = head.length > 2 ? head.subarray(2) : ((await once(res.peer!.stream, 'data')) as [Buffer])[0];
    expect(body.length).toBe(head[1]);
    const tail = Buffer.from([0, 0, 0xff, 0xff]);
    expect(inflateRawSync(Buffer.concat([body, tail]), { finishFlush: zlib.Z_SYNC_FLUSH }).toString()).toBe(
      'squeezed',
    );
  });

  it('shuts down: gate.close() closes the WebSockets, closing the HTTP/2 sessions lets server.close() end', async () => {
    const gate = createGate({ heartbeat: false });
    gate.route('/e', (s) => s.on('message', (m) => s.send(m)));
    const server = createH2cServer();
    // The README's recipe: Node 20's http2 server.close() waits for idle client connections (Node 24 closes them).
    const h2Sessions = new Set<ServerHttp2Session>();
    server.on('session', (s) => {
      h2Sessions.add(s);
      s.once('close', () => h2Sessions.delete(s));
    });
    gate.attach(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = await connectTo(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const peers = await Promise.all([1, 2, 3].map(async () => (await openWebSocket(client, '/e')).peer!));
    await gate.close({ timeout: 1_000 });
    expect(await Promise.all(peers.map((p) => p.closed))).toEqual(
      peers.map(() => ({ code: 1001, reason: 'server shutting down' })),
    );
    const closed = new Promise((r) => server.close(r));
    for (const s of h2Sessions) s.close();
    await closed;
    expect(gate.sessions.size).toBe(0);
  });

  it('serves HTTP/2 and HTTP/1.1 WebSockets on one TLS port, and inject, through the same routes', async () => {
    const tls = testCertificate();
    const t = await start({}, tls);
    const session = await connectTo(t.url, tls.cert);
    const peer = (await openWebSocket(session, '/echo/h2')).peer!;
    peer.send('over h2');
    expect(String((await peer.next()).data)).toBe('over h2');
    const ws = await openClient(`wss://127.0.0.1:${t.port}/echo/h1`, { ca: tls.cert });
    ws.send('over h1');
    expect(await nextMessage(ws)).toBe('over h1');
    ws.close();
    const injected = await t.gate.inject('/echo/mem');
    injected.send('in memory');
    expect(await nextMessage(injected)).toBe('in memory');
    injected.close();
    expect(t.opened.map((s) => s.params.room)).toEqual(['h2', 'h1', 'mem']);
    expect(t.versions).toEqual(['2.0', '1.1', '1.1']);
  });
});
