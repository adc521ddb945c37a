import { RequestError, type Session } from '@wsgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { killPeers, pythonPeers, runPeer } from '../../../test/peers/python.ts';
import { systemAvailable } from '../../../test/support/system.ts';
import { coreTarget } from '../../../test/targets/core.ts';

const title = 'wsgate.v1 from outside: a Python client written from docs/protocol.md';
const peers = pythonPeers();

// Skipped with a printed reason when Python or its websockets package is missing (a failure under
// WSGATE_REQUIRE_ALL=1, as in CI); the suite itself is the real one either way.
describe.skipIf(!systemAvailable(title, peers.ok ? undefined : peers.reason))(title, () => {
  afterEach(killPeers);

  it('negotiates, pings, sends text and binary, makes and answers requests, comes back after 1012', async () => {
    const asked: unknown[] = [];
    const received: unknown[] = [];
    let connections = 0;
    const t = await coreTarget.start({}, [
      {
        path: '/v1',
        options: { protocols: ['wsgate.v1'] },
        handler: (s: Session) => {
          const first = ++connections === 1;
          s.onRequest((d) => {
            const { op, n } = d as { op: string; n: number };
            if (op !== 'double') throw new RequestError('unknown-op');
            return n * 2;
          });
          s.on('message', async (m) => {
            received.push(m);
            if (m === 'restart me') return s.close(1012, 'server restarting');
            s.send(m);
            if (first && received.length === 1) asked.push(await s.request('question'));
          });
        },
      },
    ]);
    try {
      const result = await runPeer('wsgate-v1-client.py', [t.wsUrl], 8_000);
      expect(result).toEqual({
        subprotocol: 'wsgate.v1',
        pong: { t: 'pong', id: 1 },
        frames: [
          ['bytes', '0001fe'],
          ['msg', 'héllo'],
          ['req', 'question'],
          ['res', 42],
        ],
        close: [1012, 'server restarting'],
        after_reconnect: { t: 'res', id: 1, d: 8 },
      });
      expect(asked).toEqual([{ python: 'question' }]);
      expect(received).toEqual(['héllo', Buffer.from([0, 1, 254]), 'restart me']);
      expect(connections).toBe(2);
    } finally {
      await t.close();
    }
  });

  it('resumes a topic after a 1012: sub resumed:true, then exactly what was published while away', async () => {
    const t = await coreTarget.start({ history: { size: 10 } }, [
      {
        path: '/r',
        options: { protocols: ['wsgate.v1'] },
        handler: (s: Session) => {
          void s.subscribe('room');
          s.on('message', (m) => {
            if (m !== 'away') return t.gate.publish('room', m);
            s.close(1012, 'server restarting');
            t.gate.publish('room', 'c');
            t.gate.publish('room', 'd');
          });
        },
      },
    ]);
    try {
      expect(await runPeer('wsgate-v1-resume.py', [t.wsUrl], 8_000)).toEqual({
        sub: { t: 'sub', topic: 'room', has_position: true },
        first: [
          ['a', 1],
          ['b', 2],
        ],
        close: 1012,
        resumed: ['sub', true, true],
        replayed: [
          ['c', 1],
          ['d', 2],
        ],
      });
    } finally {
      await t.close();
    }
  });
});
