// WebSockets over HTTP/2 (RFC 8441) against HTTP/1.1 on the same TLS server: memory per idle WebSocket,
// server CPU per echo, and 1,000 WebSockets multiplexed on 10 HTTP/2 connections against 1,000 TCP
// connections. Run: node --conditions=@wsgate/source --import tsx bench/http2.ts [--count=1000]
// Numbers for humans: the server process measures itself (CPU around the echo phase only, memory after
// forced GC); the load generator is this process. Writes bench/HTTP2-RESULTS.md.
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { type H2Peer, h2Connect, openWebSocket, testCertificate } from '../test/http2/h2-peer.ts';

const arg = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const COUNT = arg('count', 1000);
const CONNECTIONS = arg('connections', 10);
const ROUNDS = arg('rounds', 20);
const tls = testCertificate();
const payload = Buffer.alloc(32, 0x61).toString();

interface Server {
  child: ChildProcess;
  port: number;
  ask<T>(cmd: string): Promise<T>;
}

async function startServer(): Promise<Server> {
  const child = fork(fileURLToPath(new URL('./http2-server.ts', import.meta.url)), {
    execArgv: ['--conditions=@wsgate/source', '--import', 'tsx', '--expose-gc'],
    env: { ...process.env, BENCH_KEY: tls.key.toString('base64'), BENCH_CERT: tls.cert.toString('base64') },
  });
  const [ready] = (await once(child, 'message')) as [{ port: number }];
  const ask = async <T>(cmd: string): Promise<T> => {
    child.send({ cmd });
    for (;;) {
      const [m] = (await once(child, 'message')) as [{ cmd: string } & T];
      if (m.cmd === cmd) return m;
    }
  };
  return { child, port: ready.port, ask };
}

/** One client: send and wait for the echo. */
interface Client {
  echo(): Promise<void>;
  close(): void;
}

async function h1Clients(port: number): Promise<Client[]> {
  const out: Client[] = [];
  for (let i = 0; i < COUNT; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, COUNT - i) }, async () => {
        const ws = new WebSocket(`wss://127.0.0.1:${port}/echo`, { ca: tls.cert, perMessageDeflate: false });
        await once(ws, 'open');
        return {
          echo: async () => {
            ws.send(payload);
            await once(ws, 'message');
          },
          close: () => ws.terminate(),
        };
      }),
    );
    out.push(...batch);
  }
  return out;
}

async function h2Clients(port: number): Promise<Client[]> {
  const sessions = await Promise.all(
    Array.from({ length: CONNECTIONS }, () =>
      h2Connect(`https://127.0.0.1:${port}`, { ca: tls.cert, peerMaxConcurrentStreams: 1000 }),
    ),
  );
  const out: Client[] = [];
  for (let i = 0; i < COUNT; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, COUNT - i) }, async (_, j) => {
        const res = await openWebSocket(sessions[(i + j) % CONNECTIONS]!, '/echo');
        if (res.status !== 200) throw new Error(`refused: ${res.status}`);
        const peer = res.peer as H2Peer;
        return {
          echo: async () => {
            peer.send(payload);
            await peer.next();
          },
          close: () => peer.stream.close(),
        };
      }),
    );
    out.push(...batch);
  }
  return Object.assign(out, { sessions });
}

interface Result {
  mode: string;
  perSocketBytes: number;
  perSocketRss: number;
  cpuMicrosPerEcho: number;
}

async function measure(mode: 'HTTP/1.1' | 'HTTP/2'): Promise<Result> {
  const server = await startServer();
  try {
    const before = await server.ask<{ heapExternal: number; rss: number }>('memory');
    const clients = mode === 'HTTP/1.1' ? await h1Clients(server.port) : await h2Clients(server.port);
    const after = await server.ask<{ heapExternal: number; rss: number; sessions: number }>('memory');
    if (after.sessions !== COUNT) throw new Error(`${after.sessions} sessions, expected ${COUNT}`);
    // Warm the echo path, then measure ROUNDS echoes on every WebSocket, all in flight together.
    await Promise.all(clients.map((c) => c.echo()));
    await server.ask('cpu-start');
    for (let r = 0; r < ROUNDS; r++) await Promise.all(clients.map((c) => c.echo()));
    const { micros } = await server.ask<{ micros: number }>('cpu-stop');
    for (const c of clients) c.close();
    for (const s of (clients as { sessions?: { destroy(): void }[] }).sessions ?? []) s.destroy();
    return {
      mode: mode === 'HTTP/2' ? `HTTP/2 (${CONNECTIONS} connections)` : `HTTP/1.1 (${COUNT} connections)`,
      perSocketBytes: (after.heapExternal - before.heapExternal) / COUNT,
      perSocketRss: (after.rss - before.rss) / COUNT,
      cpuMicrosPerEcho: micros / (COUNT * ROUNDS),
    };
  } finally {
    server.child.send({ cmd: 'exit' });
    await once(server.child, 'exit');
  }
}

const results: Result[] = [];
for (const mode of ['HTTP/1.1', 'HTTP/2', 'HTTP/1.1', 'HTTP/2'] as const) {
  const r = await measure(mode);
  console.log(r);
  results.push(r);
}
const kb = (n: number) => (n / 1024).toFixed(1);
const lines = [
  '# WebSockets over HTTP/2 vs HTTP/1.1 (bench/http2.ts)',
  '',
  `${COUNT} idle WebSockets over TLS on one server process: ${COUNT} TCP connections (HTTP/1.1) against`,
  `${CONNECTIONS} HTTP/2 connections carrying ${COUNT / CONNECTIONS} extended-CONNECT streams each; then`,
  `${ROUNDS} rounds of a 32 B echo on every WebSocket at once. Server-side numbers; two runs of each, in`,
  `alternating order. Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} x${availableParallelism()},`,
  `${new Date().toISOString().slice(0, 10)}. The machine was shared with other jobs: read the ratios, not the`,
  'absolute values.',
  '',
  '| Transport | heap + external per WebSocket | RSS per WebSocket | server CPU per echo |',
  '|---|---:|---:|---:|',
  ...results.map(
    (r) =>
      `| ${r.mode} | ${kb(r.perSocketBytes)} KiB | ${kb(r.perSocketRss)} KiB | ${r.cpuMicrosPerEcho.toFixed(1)} µs |`,
  ),
  '',
];
writeFileSync(new URL('./HTTP2-RESULTS.md', import.meta.url), lines.join('\n'));
console.log(lines.join('\n'));
