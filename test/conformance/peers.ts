import { afterEach, describe, expect, it } from 'vitest';
import { killPeers, pythonPeers, runPeer } from '../peers/python.ts';
import { systemAvailable } from '../support/system.ts';
import type { ConformanceRoute, ConformanceTarget } from './target.ts';

const echo = (s: any) => s.on('message', (m: string | Buffer) => s.send(m));
const routes: ConformanceRoute[] = [
  { path: '/echo', handler: echo },
  { path: '/proto', options: { protocols: ['chat', 'superchat'] }, handler: (s: any) => s.send(s.protocol) },
  { path: '/deflate', options: { perMessageDeflate: true }, handler: echo },
];

/**
 * Independent peers: Python's `websockets` and `aiohttp` clients (their own framing, masking, UTF-8 and
 * deflate code, nothing shared with ws) talk to the target's echo routes. Skipped with a printed reason
 * when `/usr/bin/python3` lacks them, unless WSGATE_REQUIRE_ALL=1.
 */
export function peerSuite(target: ConformanceTarget): void {
  const title = `${target.name}: independent python peers`;
  const peers = pythonPeers();
  if (!systemAvailable(title, peers.ok ? undefined : peers.reason)) {
    // Shown as skipped in the counts, not silently absent.
    describe.skip(title, () => {
      it('python peers', () => {});
    });
    return;
  }

  describe(title, () => {
    afterEach(killPeers);

    /** Starts the target, records what each session saw at close, runs one peer script against it. */
    async function withPeer(script: string) {
      const closes: Array<[string, number, string]> = [];
      const t = await target.start({}, routes);
      t.gate.on('close', (s: any, code: number, reason: string) => closes.push([s.route, code, reason]));
      try {
        const result = await runPeer(script, [t.wsUrl]);
        // Every session the peer opened has ended on the server too (clients wait for the server's close).
        await expect.poll(() => t.gate.sessions.size).toBe(0);
        return { result, closes };
      } finally {
        await t.close();
      }
    }

    it('websockets: text, binary, fragmented, large, ping/pong, close codes, subprotocol, deflate', async () => {
      const { result, closes } = await withPeer('websockets-client.py');
      expect(result).toEqual({
        extensions: [],
        text: 'héllo wörld',
        binary: '0001feff',
        fragmented_text: 'fragmentéd',
        fragmented_binary: '010203',
        large_ok: true,
        ping: 'pong',
        close: [4000, 'bye from websockets'],
        close_normal: [1000, ''],
        subprotocol: 'chat',
        deflate_extensions: ['permessage-deflate'],
        deflate_text_ok: true,
        deflate_fragmented: 'déflate in fragments',
        deflate_close: [4001, 'deflate bye'],
      });
      expect(closes).toEqual(
        expect.arrayContaining([
          ['/echo', 4000, 'bye from websockets'],
          ['/echo', 1000, ''],
          ['/deflate', 4001, 'deflate bye'],
        ]),
      );
    });

    it('aiohttp: text, binary, large, ping/pong payload, close code, subprotocol, deflate', async () => {
      const { result, closes } = await withPeer('aiohttp-client.py');
      expect(result).toEqual({
        compress: 0,
        text: ['TEXT', 'héllo wörld'],
        binary: ['BINARY', '0001feff'],
        large_ok: true,
        pong: ['PONG', Buffer.from('are you there').toString('hex')],
        close: 4002,
        subprotocol: 'chat',
        deflate_compress: 15,
        deflate_text_ok: true,
        deflate_binary_ok: true,
        deflate_close: 1000,
      });
      expect(closes).toEqual(
        expect.arrayContaining([
          ['/echo', 4002, 'bye from aiohttp'],
          ['/deflate', 1000, ''],
        ]),
      );
    });
  });
}
