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

/** Starts the example the way its README says and resolves with the port it printed. */
async function start(): Promise<{ child: ChildProcess; port: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=@wsgate/source', '--import', 'tsx', 'examples/otel-prometheus/server.ts'],
    {
      cwd: root,
      env: { ...process.env, PORT: '0', TOKEN: 'SECRET-TOKEN' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`the example exited with ${code} before listening`);
  });
  const [line] = (await Promise.race([once(lines, 'line'), exited])) as [string];
  const port = /localhost:(\d+)\/metrics/.exec(line)?.[1];
  if (!port) throw new Error(`unexpected first line: ${line}`);
  return { child, port };
}

/** The sample lines of a scrape (no comments), for exact matching. */
async function scrape(port: string): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return (await res.text()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

test('the otel-prometheus example serves the gate’s metrics in the Prometheus format, without tokens', async () => {
  const { child, port } = await start();
  const ws = await openClient(`ws://127.0.0.1:${port}/echo?token=SECRET-TOKEN`);
  ws.send('hello');
  expect(String(await nextMessage(ws))).toBe('hello');
  await expect(openClient(`ws://127.0.0.1:${port}/echo?token=WRONG-SECRET`)).rejects.toMatchObject({
    status: 401,
  });
  const [a, b] = [
    await openClient(`ws://127.0.0.1:${port}/rooms/lobby?token=SECRET-TOKEN`),
    await openClient(`ws://127.0.0.1:${port}/rooms/lobby?token=SECRET-TOKEN`),
  ];
  a.send('hi all');
  expect(String(await nextMessage(b))).toBe('hi all');

  const samples = await scrape(port);
  const scope = 'otel_scope_name="@wsgate/core"';
  expect(samples).toContain(`wsgate_server_active_connections{${scope}} 3`);
  expect(samples).toContain(`wsgate_server_messages_total{network_io_direction="receive",${scope}} 2`);
  expect(samples).toContain(`wsgate_server_messages_total{network_io_direction="transmit",${scope}} 2`);
  expect(samples).toContain(
    `wsgate_server_handshakes_total{http_request_method="GET",wsgate_handshake_outcome="rejected",http_response_status_code="401",http_route="/echo",${scope}} 1`,
  );
  expect(samples).toContain(
    `wsgate_server_handshakes_total{http_request_method="GET",wsgate_handshake_outcome="accepted",http_response_status_code="101",http_route="/rooms/:room",${scope}} 2`,
  );
  expect(samples).toContain(
    `wsgate_server_publish_fanout_count{messaging_system="wsgate",messaging_operation_type="send",messaging_destination_template="room:*",${scope}} 1`,
  );
  expect(samples.filter((l) => l.includes('SECRET'))).toEqual([]);

  const bye = closed(ws);
  child.kill('SIGTERM');
  expect((await bye).code).toBe(1001);
  const [code] = await once(child, 'exit');
  expect(code).toBe(0);
});
