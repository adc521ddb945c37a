import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { createGate, type Gate, UpgradeAbortedError } from '@wsgate/core';
import type { PreparedUpgrade } from '@wsgate/core/adapter';
import { afterEach, describe, expect, it } from 'vitest';
import { upgradeHeaders } from '../support/raw.ts';
import { until } from '../support/ws.ts';
import { LiveTimers } from './live-timers.ts';

// What every adapter does between `gate.prepare()` and `accept()`: the framework's own pipeline (router,
// middleware, hooks) runs for an unknown time. Here the "framework" holds each upgrade until the test
// lets go, so a client can leave at exactly that moment.
let server: Server | undefined;
let gate: Gate | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await gate?.close({ timeout: 500 });
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  gate = undefined;
});

async function start(handshakeTimeout = 4_321) {
  const held: PreparedUpgrade[] = [];
  gate = createGate({ handshakeTimeout, onError: (e) => errors.push(e) });
  const errors: unknown[] = [];
  server = createServer();
  server.on('upgrade', (req, socket, head) => {
    const upgrade = gate!.prepare(req, socket, head);
    if (upgrade) held.push(upgrade);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const open = (leave: 'fin' | 'rst') => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    sockets.push(s);
    s.once('connect', () =>
      s.write(
        `GET /ws?token=x HTTP/1.1\r\n${Object.entries(upgradeHeaders(`127.0.0.1:${port}`))
          .map(([k, v]) => `${k}: ${v}`)
          .join('\r\n')}\r\n\r\n`,
      ),
    );
    return () => (leave === 'fin' ? s.end() : s.resetAndDestroy());
  };
  return { held, errors, open };
}

const zero = { pending: 0, perIp: 0, sessions: 0, topics: 0 };
const counters = () => (gate as unknown as { _counters(): typeof zero })._counters();

describe('a client that leaves while the framework pipeline is pending', () => {
  it('FIN or RST mid-pipeline releases the upgrade at once; the late accept() rejects, creates nothing, writes nothing', async () => {
    const timers = new LiveTimers().start();
    const { held, errors, open } = await start();
    const leave = [open('fin'), open('rst'), open('fin'), open('rst')];
    await until(() => held.length === 4, 'four upgrades inside the pipeline');
    expect(counters()).toMatchObject({ pending: 4, perIp: 1 });
    expect(timers.pending(4_321)).toHaveLength(4);
    for (const l of leave) l();
    await until(() => counters().pending === 0, 'the upgrades to be released');
    expect(counters()).toEqual(zero);
    expect(timers.pending(4_321)).toHaveLength(0);
    // The framework finishes afterwards: accept must refuse (never hang), the response must be inert.
    let handled = 0;
    for (const upgrade of held) {
      expect(upgrade.pending).toBe(false);
      upgrade.response.writeHead(200).end('late framework answer');
      await expect(upgrade.accept(() => void handled++, { context: null })).rejects.toBeInstanceOf(
        UpgradeAbortedError,
      );
    }
    expect(handled).toBe(0);
    expect(counters()).toEqual(zero);
    expect(gate!.stats().accepted).toBe(0);
    expect(errors).toEqual([]);
    timers.stop();
  });

  it('a pipeline that never finishes is answered 503 at handshakeTimeout and releases everything', async () => {
    const { held, open } = await start(150);
    open('fin'); // the returned leave() is never called: the client waits for an answer
    await until(() => held.length === 1, 'the upgrade inside the pipeline');
    const s = sockets[0]!;
    let answer = '';
    s.on('data', (c: Buffer) => {
      answer += c.toString('latin1');
    });
    await new Promise<void>((r) => s.once('close', () => r()));
    expect(answer).toMatch(/^HTTP\/1\.1 503 /);
    expect(answer).not.toContain('token=x');
    expect(counters()).toEqual(zero);
  });
});
