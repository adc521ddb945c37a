import type { Session } from '@wsgate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { coreTarget } from '../../../test/targets/core.ts';
import { type Client, connect, type State } from '../src/index.ts';

/**
 * The platform's own WebSocket (Node 22+, as in browsers): no access to the HTTP status of a refused
 * upgrade, no ping frames from the application. Runs in CI's Node 24 pass; Node 20 has no global WebSocket.
 */
const platform = (globalThis as { WebSocket?: unknown }).WebSocket;

type Target = Awaited<ReturnType<typeof coreTarget.start>>;
let target: Target | undefined;
let client: Client | undefined;

afterEach(async () => {
  client?.close();
  await target?.close();
  target = undefined;
});

function reach(c: Client, state: State): Promise<void> {
  return new Promise((resolve) => {
    if (c.state === state) return resolve();
    const off = c.on('state', (s) => {
      if (s === state) {
        off();
        resolve();
      }
    });
  });
}

describe.skipIf(platform === undefined)("@wsgate/client over the platform's global WebSocket", () => {
  it('is the default; requests, messages and a reconnect after 1012 work', async () => {
    const sessions: Session[] = [];
    target = await coreTarget.start({}, [
      {
        path: '/app',
        options: { protocols: ['wsgate.v1'] },
        handler: (s: Session) => {
          sessions.push(s);
          s.onRequest((d) => ({ echo: d }));
          s.on('message', (m) => s.send(m));
        },
      },
    ]);
    client = connect(`${target.wsUrl}/app`, { reconnect: { minDelay: 10, maxDelay: 20 } });
    await reach(client, 'open');
    expect(await client.request([1, 2])).toEqual({ echo: [1, 2] });
    const echoed = new Promise((resolve) => client!.on('message', (d) => resolve(d)));
    client.send(new Uint8Array([7]));
    expect(await echoed).toEqual(new Uint8Array([7]));
    const back = reach(client, 'reconnecting');
    sessions[0]!.close(1012, 'server restarting');
    await back;
    expect(client.info).toEqual({ code: 1012, reason: 'server restarting' });
    await reach(client, 'open');
    expect(await client.request('again')).toEqual({ echo: 'again' });
    expect(sessions).toHaveLength(2);
  });

  it('cannot see a 401, so it stops after maxHandshakeFailures attempts with handshake-failed', async () => {
    target = await coreTarget.start({}, [
      {
        path: '/app',
        options: { protocols: ['wsgate.v1'], authenticate: () => undefined },
        handler: () => {},
      },
    ]);
    let attempts = 0;
    const Platform = platform as new (url: string, protocols: string) => object;
    class Counting extends Platform {
      constructor(url: string, protocols: string) {
        attempts++;
        super(url, protocols);
      }
    }
    client = connect(`${target.wsUrl}/app`, {
      WebSocket: Counting,
      reconnect: { minDelay: 5, maxDelay: 10 },
      maxHandshakeFailures: 3,
    });
    await reach(client, 'closed');
    expect(client.info).toEqual({ code: 1006, reason: 'handshake-failed' });
    expect(attempts).toBe(3);
    // undici's fetch may send a refused upgrade twice: the server counts at least one 401 per attempt.
    expect(target.gate.stats().rejected[401]).toBeGreaterThanOrEqual(3);
  });
});
