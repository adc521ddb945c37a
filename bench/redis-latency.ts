/**
 * Publish-to-delivery latency across two processes through Redis (not a test; the lead wires it into
 * `pnpm bench`). This process publishes at a fixed rate with `gate.publish` (a worker gate, no sockets);
 * a second process runs a gate with a ws route; a ws client here, connected to that second process,
 * receives every message. Both ends of each measurement are in this process, so one clock times it:
 * publish -> Redis -> other process -> WebSocket frame -> client.
 *
 *   node --conditions=@wsgate/source --import tsx bench/redis-latency.ts [--seconds 5] [--rate 1000] [--quick]
 *     [--history]   (both gates keep topic history: offsets from the append script, ordered delivery)
 *
 * Uses REDIS_URL when set, else starts a private redis-server on a free port. Prints a markdown table.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createGate } from '@wsgate/core';
import { redisBroker } from '@wsgate/redis';
import WebSocket from 'ws';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const TOPIC = 'bench';
const PREFIX = 'bench-latency:';
const HISTORY = args.includes('--history') || process.env.BENCH_HISTORY === '1';
const history = HISTORY ? { history: { size: 1_000, maxAge: 60_000 } } : {};

if (args.includes('--node')) await runNode();
else await main();

/** The receiving process: a gate whose `/bench` clients are members of the topic. Prints its port. */
async function runNode(): Promise<void> {
  const broker = redisBroker({ url: process.env.REDIS_URL, prefix: PREFIX });
  await broker.ready();
  const gate = createGate({ broker, heartbeat: false, ...history });
  gate.route('/bench', (session) => session.subscribe(TOPIC));
  const server = createHttpServer();
  gate.attach(server);
  server.listen(0, '127.0.0.1', () => console.log(`port ${(server.address() as AddressInfo).port}`));
  process.stdin.on('end', async () => {
    await gate.close({ timeout: 500 });
    server.close();
  });
  process.stdin.resume();
}

async function main(): Promise<void> {
  const quick = args.includes('--quick');
  const seconds = flag('--seconds', quick ? 2 : 5);
  const rate = flag('--rate', 1000);
  const warmup = Math.min(1, seconds / 4);
  const children: ChildProcess[] = [];
  let dir: string | undefined;
  // Stopped from outside (the suite's SIGTERM on error, Ctrl-C): redis-server must not outlive us.
  const stop = () => {
    for (const child of children) child.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  };
  process.once('SIGTERM', stop).once('SIGINT', stop);
  try {
    let url = process.env.REDIS_URL;
    if (!url) {
      dir = mkdtempSync(join(tmpdir(), 'wsgate-bench-'));
      const port = await freePort();
      const redis = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      children.push(redis);
      await lineMatching(redis, /Ready to accept connections/);
      url = `redis://127.0.0.1:${port}`;
    }
    const node = spawn(
      process.execPath,
      ['--conditions=@wsgate/source', '--import', 'tsx', fileURLToPath(import.meta.url), '--node'],
      {
        env: { ...process.env, REDIS_URL: url, BENCH_HISTORY: HISTORY ? '1' : '0' },
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    children.push(node);
    const port = Number((await lineMatching(node, /^port (\d+)/))[1]);

    const broker = redisBroker({ url, prefix: PREFIX });
    const gate = createGate({ broker, heartbeat: false, ...history });
    await broker.ready();
    const client = new WebSocket(`ws://127.0.0.1:${port}/bench`);
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));

    const total = Math.round(rate * seconds);
    const sentAt = new Float64Array(total);
    const latency: number[] = [];
    let received = 0;
    client.on('message', (data) => {
      const now = performance.now();
      const text = String(data);
      if (text === 'probe') return;
      const seq = Number(text.slice(0, 8));
      received++;
      if (seq >= rate * warmup) latency.push(now - sentAt[seq]!);
    });
    // The subscription is live once a probe published here comes back through the other process.
    await probe(gate, client);

    // Fixed rate: every tick sends however many messages are due by now, so timer jitter does not change it.
    const padding = 'x'.repeat(56);
    const start = performance.now();
    let seq = 0;
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
        for (; seq < due; seq++) {
          sentAt[seq] = performance.now();
          gate.publish(TOPIC, `${String(seq).padStart(8, '0')}${padding}`);
        }
        if (seq === total) {
          clearInterval(tick);
          resolve();
        }
      }, 1);
    });
    const deadline = performance.now() + 2_000;
    while (received < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    client.close();
    await gate.close();

    latency.sort((a, b) => a - b);
    const q = (p: number) =>
      latency[Math.min(latency.length - 1, Math.floor(p * latency.length))] ?? Number.NaN;
    const ms = (v: number) => v.toFixed(2);
    console.log(`\n### Redis broker: publish-to-delivery latency across two processes\n`);
    console.log(
      '| history | rate (msg/s) | seconds | messages | received | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    console.log(
      `| ${HISTORY ? 'on' : 'off'} | ${rate} | ${seconds} | ${total} | ${received} | ${ms(q(0.5))} | ${ms(q(0.9))} | ${ms(q(0.99))} | ${ms(latency.at(-1) ?? Number.NaN)} |`,
    );
    console.log(
      `\n64-byte text messages, first ${warmup}s excluded; Node ${process.version}, redis-server on 127.0.0.1.`,
    );
  } finally {
    for (const child of children) {
      child.stdin?.end();
      child.kill('SIGTERM');
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** Publishes probes until one arrives: the other process has subscribed and Redis has acknowledged it. */
async function probe(gate: ReturnType<typeof createGate>, client: WebSocket): Promise<void> {
  const arrived = new Promise<void>((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      if (String(data) === 'probe') {
        client.off('message', onMessage);
        resolve();
      }
    };
    client.on('message', onMessage);
  });
  let done = false;
  void arrived.then(() => {
    done = true;
  });
  while (!done) {
    gate.publish(TOPIC, 'probe');
    await Promise.race([arrived, new Promise((r) => setTimeout(r, 50))]);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function lineMatching(child: ChildProcess, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = buffered.match(new RegExp(pattern.source, 'm'));
      if (match) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(match);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before printing ${pattern}`)));
  });
}
