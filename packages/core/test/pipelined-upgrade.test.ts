import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { plainGet, rawClient, responses, upgradeRequest } from '../../../test/support/upgrades.ts';
import { until } from '../../../test/support/ws.ts';
import { createGate, type Gate } from '../src/index.js';

let server: Server | undefined;
let gate: Gate | undefined;
afterEach(async () => {
  await gate?.close({ timeout: 500 });
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  gate = undefined;
});

async function start(handshakeTimeout: number): Promise<string> {
  gate = createGate({
    handshakeTimeout,
    onError: (e) => errors.push(e),
    shouldHandle: (req) => !req.url?.startsWith('/other/'),
  });
  gate.route('/echo', () => {});
  server = createServer((req, res) => {
    if (req.url === '/hang') return; // a page that never answers
    res.setHeader('content-length', '4');
    if (req.url === '/last') res.setHeader('connection', 'close');
    res.end('page');
  });
  gate.attach(server);
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
const errors: unknown[] = [];

describe('an upgrade pipelined behind a plain request', () => {
  it('behind a response that ends the connection: the page, then the connection closes; nothing is left pending', async () => {
    const url = await start(4_321);
    const c = await rawClient(url);
    c.socket.write(plainGet(url, '/last') + upgradeRequest(url, '/echo'));
    await c.closed;
    expect(responses(c.text).map((r) => r.status)).toEqual([200]);
    expect(c.text).not.toContain('101');
    expect(gate!.stats().pending).toBe(0);
    expect(errors).toEqual([]);
  });

  it('behind a page that never answers: nothing is written ahead of it, and the connection is closed at handshakeTimeout', async () => {
    const url = await start(150);
    const c = await rawClient(url);
    const started = Date.now();
    c.socket.write(plainGet(url, '/hang') + upgradeRequest(url, '/echo'));
    await c.closed;
    expect(c.text).toBe('');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await until(() => gate!.stats().pending === 0, 'nothing pending');
    expect(errors).toEqual([]);
  });

  it('declined by shouldHandle with nobody else listening: the page, then the late 404 (not a socket held forever)', async () => {
    const url = await start(150);
    const c = await rawClient(url);
    c.socket.write(plainGet(url, '/') + upgradeRequest(url, '/other/x'));
    await c.closed;
    expect(responses(c.text).map((r) => r.status)).toEqual([200, 404]);
    expect(errors).toEqual([]);
  });
});
