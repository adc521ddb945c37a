import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { closed, nextMessage, openClient } from '../support/ws.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts the echo example the way its README says and resolves with the URL it printed. */
async function startEcho(): Promise<{ child: ChildProcess; url: URL }> {
  // The command in examples/echo/package.json's `start` script and in its README.
  const child = spawn(
    process.execPath,
    ['--conditions=@wsgate/source', '--import', 'tsx', 'examples/echo/server.ts'],
    { cwd: root, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the echo example exited with ${code} before listening`);
  });
  const [line] = (await Promise.race([once(lines, 'line'), exited])) as [string];
  const url = /http:\/\/localhost:\d+/.exec(line)?.[0];
  if (!url) throw new Error(`unexpected first line: ${line}`);
  return { child, url: new URL(url) };
}

test('the echo example starts with its documented command, listens on 127.0.0.1 only, echoes and stops on SIGTERM', async () => {
  const { child, url } = await startEcho();
  const ws = await openClient(`ws://127.0.0.1:${url.port}/echo`);
  ws.send('hello');
  expect(String(await nextMessage(ws))).toBe('hello');
  const page = await fetch(`http://127.0.0.1:${url.port}/`);
  expect(await page.text()).toContain('wsgate echo');
  // Bound to 127.0.0.1, not every interface: ::1 (which a `::` bind would answer) is refused.
  await expect(fetch(`http://[::1]:${url.port}/`)).rejects.toThrow();

  const bye = closed(ws);
  child.kill('SIGTERM');
  expect((await bye).code).toBe(1001);
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
});
