import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { closed, openClient, until, type WebSocket } from '../support/ws.ts';
import { loadTargets } from './targets.ts';

const found = await loadTargets();
const CLIENTS = 120;

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

/** Starts the fixture server for one target and resolves with the child and its JSON lines. */
async function startServer(file: string, exportName: string) {
  const c = spawn(
    process.execPath,
    ['--conditions=@wsgate/source', '--import', 'tsx', 'test/fixtures/faults-server.ts', file, exportName],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  child = c;
  const lines = createInterface({ input: c.stdout! })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error('the server exited before listening');
  return { c, lines, port: (JSON.parse(first.value) as { port: number }).port };
}

describe('graceful shutdown under load, as a child process', () => {
  for (const { file, exportName, target } of found) {
    it(`${target.name}: SIGTERM while ${CLIENTS} clients are mid-conversation: all see 1001, the process exits by itself`, async () => {
      const { c, lines, port } = await startServer(file, exportName);
      const clients: WebSocket[] = [];
      for (let i = 0; i < CLIENTS; i++) {
        clients.push(
          await openClient(`ws://127.0.0.1:${port}/load`, { localAddress: `127.0.0.${2 + (i % 4)}` }),
        );
      }
      // Every client talks continuously (send, await echo, send the next) until the close arrives.
      const echoed = clients.map(() => 0);
      const violations: string[] = [];
      for (const [i, ws] of clients.entries()) {
        ws.on('message', (m) => {
          if (Number(m.toString()) !== echoed[i]) violations.push(`client ${i}: ${m} after ${echoed[i]}`);
          echoed[i]!++;
          if (ws.readyState === 1) ws.send(String(echoed[i]));
        });
        ws.send('0');
      }
      const results = clients.map((ws) => closed(ws));
      const exited = once(c, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
      // Load is really flowing before the signal: every client has had a few round trips.
      await until(() => echoed.every((n) => n >= 3), 'every client to have had three round trips', 10_000);
      c.kill('SIGTERM');
      const seen = await Promise.all(results);
      expect(seen.filter((r) => r.code !== 1001 || r.reason !== 'server shutting down')).toEqual([]);
      const [code, signal] = await Promise.race([
        exited,
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error('the server did not exit on its own within 10 s')),
            10_000,
          ).unref(),
        ),
      ]);
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      const last = await lines.next();
      expect(last.done ? null : JSON.parse(last.value)).toEqual({
        closed: true,
        counters: { pending: 0, perIp: 0, sessions: 0, topics: 0 },
      });
      expect(violations).toEqual([]);
      expect(echoed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(3 * CLIENTS);
    });
  }
});
