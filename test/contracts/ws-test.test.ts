import { AssertionError } from 'node:assert';
import { createGate } from '@wsgate/core';
import { wsTest } from '@wsgate/core/testing';
import { describe, expect, it } from 'vitest';

describe('wsTest (@wsgate/core/testing)', () => {
  const gate = () => {
    const g = createGate({ heartbeat: false, authenticate: (req) => req.headers.authorization });
    g.route('/echo', (s) => s.on('message', (m) => s.send(m)));
    return g;
  };

  it('scripts a conversation; expectRejected asserts the refusal status', async () => {
    const g = gate();
    try {
      await wsTest(g, '/echo', { headers: { authorization: 'x' } })
        .sendText('hi')
        .expectText('hi');
      await wsTest(g, '/echo', { headers: { authorization: 'x' } })
        .sendText('a')
        .expectText(/^a$/)
        .close(4000);
      await wsTest(g, '/echo').expectRejected(401);
      await wsTest(g, '/nowhere', { headers: { authorization: 'x' } }).expectRejected(404);
      expect(g.sessions.size).toBe(0);
    } finally {
      await g.close({ timeout: 500 });
    }
  });

  it('fails with an AssertionError on a wrong value, a refusal not expected, or a timeout', async () => {
    const g = gate();
    try {
      const auth = { headers: { authorization: 'x' } };
      await expect(wsTest(g, '/echo', auth).sendText('a').expectText('b')).rejects.toBeInstanceOf(
        AssertionError,
      );
      await expect(wsTest(g, '/echo').sendText('a')).rejects.toMatchObject({ status: 401 });
      await expect(wsTest(g, '/echo', auth).expectRejected(401)).rejects.toThrow(
        /expected the upgrade to be refused/,
      );
      await expect(wsTest(g, '/echo', { ...auth, timeout: 50 }).expectJson({})).rejects.toThrow(
        /timed out after 50 ms/,
      );
      await expect.poll(() => g.sessions.size).toBe(0); // every script closed its socket
    } finally {
      await g.close({ timeout: 500 });
    }
  });
});
