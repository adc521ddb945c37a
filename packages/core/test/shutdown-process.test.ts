import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { closed, nextMessage, openClient, until, type WebSocket } from '../../../test/support/ws.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Reads the child's stdout line by line. */
function lines(child: ChildProcess): { next(match: RegExp): Promise<string>; all: string[] } {
  const all: string[] = [];
  let buffer = '';
  const waiters: Array<() => void> = [];
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    all.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  return {
    all,
    async next(match) {
      for (;;) {
        const found = all.find((l) => match.test(l));
        if (found) return found;
        if (child.exitCode !== null) throw new Error(`child exited before printing ${match}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          child.once('exit', () => r());
        });
      }
    },
  };
}

describe('shutdown in a real process', () => {
  it('after gate.close() and server.close() the process exits on its own; every client saw the code', async () => {
    const child = spawn(
      process.execPath,
      ['--conditions=@wsgate/source', '--import', 'tsx', 'test/fixtures/shutdown-server.ts'],
      { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (c) => {
      stderr += c;
    });
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    const clients: WebSocket[] = [];
    try {
      const out = lines(child);
      const { port } = JSON.parse(await out.next(/"port"/)) as { port: number };
      for (let i = 0; i < 3; i++) clients.push(await openClient(`ws://127.0.0.1:${port}/echo`));
      for (const ws of clients) {
        ws.send('hi');
        expect(await nextMessage(ws)).toBe('hi');
      }
      // A straggler: it never reads, so it never answers the close; the gate's timeout must end it.
      const straggler = await openClient(`ws://127.0.0.1:${port}/echo`);
      clients.push(straggler);
      (straggler as unknown as { _socket: import('node:net').Socket })._socket.pause();
      const codes = Promise.all(clients.slice(0, 3).map((ws) => closed(ws)));
      child.stdin!.write('close\n');
      expect(await codes).toEqual([0, 1, 2].map(() => ({ code: 1001, reason: 'bye' })));
      const [code, signal] = await exited;
      expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
      expect(out.all).toContain('closed');
      (straggler as unknown as { _socket: import('node:net').Socket })._socket.resume();
      await until(() => straggler.readyState === 3, 'the straggler to see the end');
    } finally {
      for (const ws of clients) ws.terminate();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  });
});
