/**
 * The cost of a message contract (not a test): echo of a small JSON message on a core route with a zod
 * `message` schema vs the same echo without one, in a separate server process whose CPU time per message
 * is measured (process.cpuUsage over the window), and the throughput the clients see.
 *
 *   node --conditions=@wsgate/source --import tsx bench/contracts.ts [--rounds 5] [--messages 40000]
 *
 * Routes: `/plain` echoes the frame as received (`send(m)`: no parsing), `/parse` parses by hand and
 * answers `sendJson` (what an app without a schema does), `/zod` has `message: schema` and answers
 * `sendJson(value)`. Rounds rotate the order. Prints a markdown table of medians and the ratios.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createGate } from '@wsgate/core';
import WebSocket from 'ws';
import * as z from 'zod';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const ROUTES = ['plain', 'parse', 'zod'] as const;
type Route = (typeof ROUTES)[number];
const CONNECTIONS = 50;
const MESSAGE = JSON.stringify({ type: 'say', room: 'lobby', text: 'hello there, how are you?' });

// The server process is marked by the environment (argv does not reach a forked child under tsx intact).
if (process.env.WSGATE_BENCH_CONTRACTS_SERVER === '1') await server();
else await main();

async function server(): Promise<void> {
  const Say = z.object({
    type: z.literal('say'),
    room: z.string().max(64),
    text: z.string().min(1).max(1000),
  });
  const gate = createGate({ heartbeat: false, limits: { messages: false, connectionsPerIp: 10_000 } });
  gate.route('/plain', (s) => s.on('message', (m) => s.send(m)));
  gate.route('/parse', (s) => s.on('message', (m) => s.sendJson(JSON.parse(String(m)))));
  gate.route('/zod', { message: Say }, (s) => s.on('message', (m) => s.sendJson(m)));
  const http = createServer((_req, res) => res.end());
  gate.attach(http);
  http.listen(0, '127.0.0.1', () => process.send!({ port: (http.address() as AddressInfo).port }));
  let started = process.cpuUsage();
  process.on('message', (msg: { cmd: string }) => {
    if (msg.cmd === 'start') {
      started = process.cpuUsage();
      process.send!({ ok: true });
    } else if (msg.cmd === 'stop') {
      const d = process.cpuUsage(started);
      process.send!({ cpu: d.user + d.system });
    } else if (msg.cmd === 'exit') process.exit(0);
  });
}

/** The next message from the server carrying `key` (tsx sends its own messages over the same channel). */
function reply<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      if (typeof m !== 'object' || m === null || !(key in m)) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
  });
}

function ask<T>(child: ChildProcess, cmd: string, key: string): Promise<T> {
  const answer = reply<T>(child, key);
  child.send({ cmd });
  return answer;
}

async function window(port: number, route: Route, messages: number, child: ChildProcess | undefined) {
  const sockets = await Promise.all(
    Array.from(
      { length: CONNECTIONS },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/${route}`);
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        }),
    ),
  );
  if (child) await ask(child, 'start', 'ok');
  const perSocket = Math.ceil(messages / CONNECTIONS);
  const t0 = performance.now();
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          let left = perSocket;
          ws.on('message', () => {
            if (--left === 0) resolve();
            else ws.send(MESSAGE);
          });
          ws.send(MESSAGE);
        }),
    ),
  );
  const ms = performance.now() - t0;
  const cpu = child ? (await ask<{ cpu: number }>(child, 'stop', 'cpu')).cpu : 0;
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          ws.once('close', () => resolve());
          ws.close();
        }),
    ),
  );
  const total = perSocket * CONNECTIONS;
  return { rate: total / (ms / 1000), cpu: cpu / total };
}

async function main(): Promise<void> {
  const rounds = flag('--rounds', 5);
  const messages = flag('--messages', 40_000);
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--conditions=@wsgate/source', '--import', 'tsx'],
    env: { ...process.env, WSGATE_BENCH_CONTRACTS_SERVER: '1' },
  });
  const { port } = await reply<{ port: number }>(child, 'port');
  for (const route of ROUTES) await window(port, route, messages / 4, undefined); // warm-up, JIT both sides
  const results: Record<Route, { rate: number; cpu: number }[]> = { plain: [], parse: [], zod: [] };
  for (let r = 0; r < rounds; r++) {
    const order = ROUTES.map((_, i) => ROUTES[(i + r) % ROUTES.length]!);
    for (const route of order) results[route].push(await window(port, route, messages, child));
  }
  child.kill();
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const row = (route: Route) => {
    const cpu = median(results[route].map((x) => x.cpu));
    const rate = median(results[route].map((x) => x.rate));
    return { cpu, rate };
  };
  const plain = row('plain');
  const parse = row('parse');
  const zod = row('zod');
  console.log(
    `echo of a ${MESSAGE.length}-byte JSON message, ${CONNECTIONS} connections, ${rounds} rounds of ${messages} messages (medians)\n`,
  );
  console.log('| route | server CPU µs/msg | msgs/s | CPU vs /plain | CPU vs /parse |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, x] of [
    ['/plain (no parsing)', plain],
    ['/parse (JSON.parse + sendJson)', parse],
    ['/zod (message schema)', zod],
  ] as const) {
    console.log(
      `| ${name} | ${x.cpu.toFixed(2)} | ${Math.round(x.rate)} | ${(x.cpu / plain.cpu).toFixed(2)} | ${(x.cpu / parse.cpu).toFixed(2)} |`,
    );
  }
}
