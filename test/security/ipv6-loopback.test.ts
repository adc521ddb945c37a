import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGate } from '@wsgate/core';
import { describe, expect, it } from 'vitest';
import { closed, nextMessage, openClient } from '../support/ws.ts';

// ::1 is the only IPv6 loopback address, so /64 grouping is covered end to end through a trusted proxy in
// the security conformance suite; here a server really bound to ::1.
describe('a server bound to ::1', () => {
  it('sees ::1, counts it per /64 for the per-IP limit, and is strict about Host (DNS rebinding)', async () => {
    const gate = createGate({ limits: { connectionsPerIp: 1 } });
    gate.route('/who', (s) => void s.send(s.remoteAddress));
    const server = createServer();
    gate.attach(server);
    await new Promise<void>((r) => server.listen(0, '::1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const ws = await openClient(`ws://[::1]:${port}/who`);
      expect(await nextMessage(ws)).toBe('::1');
      await expect(openClient(`ws://[::1]:${port}/who`)).rejects.toMatchObject({ status: 429 });
      ws.close();
      await closed(ws);
      const rebind = openClient(`ws://[::1]:${port}/who`, {
        headers: { Host: `rebind.evil.example:${port}` },
        origin: `http://rebind.evil.example:${port}`,
      });
      await expect(rebind).rejects.toMatchObject({
        status: 403,
        body: expect.stringMatching(/allowedHosts/),
      });
      const ok = await openClient(`ws://[::1]:${port}/who`, { headers: { Host: `[::1]:${port}` } });
      expect(await nextMessage(ok)).toBe('::1');
      ok.close();
      await closed(ok);
    } finally {
      await gate.close({ timeout: 500 });
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
