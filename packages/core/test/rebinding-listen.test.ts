import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest } from '../../../test/support/raw.ts';
import { createGate, type Gate } from '../src/index.js';

let server: Server | undefined;
let gate: Gate | undefined;
afterEach(async () => {
  await gate?.close({ timeout: 500 });
  server?.closeAllConnections();
  if (server?.listening) await new Promise<void>((r) => server!.close(() => r()));
  server = undefined;
  gate = undefined;
});

function listenOn(s: Server, host: string): Promise<string> {
  return new Promise((resolve) =>
    s.listen(0, host, () => resolve(`http://${host}:${(s.address() as AddressInfo).port}`)),
  );
}

describe('DNS rebinding: loopback-ness comes from the address the server listens on, whenever it listens', () => {
  it('an inject before listen() does not switch the Host check off once the server listens on 127.0.0.1', async () => {
    gate = createGate();
    gate.route('/echo', (s) => void s.on('message', (m) => s.send(m)));
    server = createServer();
    gate.attach(server);
    // Not listening yet: no Host check applies, and that answer must not be remembered.
    const early = await gate.inject('/echo', { headers: { Host: 'rebind.example' } });
    early.close();
    const url = await listenOn(server, '127.0.0.1');
    const foreign = await rawRequest(`${url}/echo`, { headers: { Host: 'rebind.example' } });
    expect(foreign.status).toBe(403);
    const local = await rawRequest(`${url}/echo`, { headers: { Host: 'localhost' } });
    expect(local.status).toBe(101);
  });

  it('a server that closes and listens again is judged on its new address', async () => {
    gate = createGate();
    gate.route('/echo', () => {});
    server = createServer();
    gate.attach(server);
    const first = await listenOn(server, '127.0.0.1');
    expect((await rawRequest(`${first}/echo`, { headers: { Host: 'rebind.example' } })).status).toBe(403);
    server.closeAllConnections();
    await new Promise<void>((r) => server!.close(() => r()));
    // Not listening: an inject in between sees no loopback bind.
    const between = await gate.inject('/echo', { headers: { Host: 'rebind.example' } });
    between.close();
    const again = await listenOn(server, '127.0.0.1');
    expect((await rawRequest(`${again}/echo`, { headers: { Host: 'rebind.example' } })).status).toBe(403);
  });
});
