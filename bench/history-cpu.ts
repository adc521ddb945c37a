/**
 * CPU per published message with topic history on vs off, on one node (not a test). A gate publishes
 * `--messages` 64-byte messages, in bursts of 100 per turn, to a topic with one local member (an in-process
 * ws client, which receives every message: the measurement ends when the last one arrives). Reports this
 * process's CPU per message and, for Redis, the redis-server's CPU per message (INFO CPU), for the memory
 * broker and the Redis broker.
 *
 *   node --conditions=@wsgate/source --import tsx bench/history-cpu.ts [--messages 20000]
 *
 * Uses REDIS_URL when set, else starts a private redis-server on a free port. Prints a markdown table.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGate, type Gate, memoryBroker } from '@wsgate/core';
import { redisBroker } from '@wsgate/redis';
import { Redis } from 'ioredis';

const args = process.argv.slice(2);
const at = args.indexOf('--messages');
const MESSAGES = at === -1 ? 20_000 : Number(args[at + 1]);
const ROUNDS = 3;

let redisChild: ChildProcess | undefined;
let dir: string | undefined;
let url = process.env.REDIS_URL;
try {
  if (!url) {
    dir = mkdtempSync(join(tmpdir(), 'wsgate-bench-'));
    const port = await freePort();
    redisChild = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => {
      let log = '';
      redisChild!.stdout!.on('data', (c: Buffer) => {
        log += c.toString();
        if (log.includes('Ready to accept connections')) resolve();
      });
    });
    url = `redis://127.0.0.1:${port}`;
  }
  const admin = new Redis(url);
  const rows: string[] = [];
  for (const kind of ['memory', 'redis'] as const) {
    for (const history of [false, true]) {
      const samples: Array<{ node: number; redis: number }> = [];
      for (let round = 0; round < ROUNDS; round++) samples.push(await measure(kind, history, admin, round));
      const best = samples.sort((a, b) => a.node - b.node)[0]!; // least disturbed by the shared machine
      rows.push(
        `| ${kind} | ${history ? 'on' : 'off'} | ${MESSAGES} | ${best.node.toFixed(2)} | ${kind === 'redis' ? best.redis.toFixed(2) : '-'} |`,
      );
    }
  }
  admin.disconnect();
  console.log('\n### Topic history: CPU per published message on one node\n');
  console.log('| broker | history | messages | node CPU (µs/msg) | redis-server CPU (µs/msg) |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
  console.log(
    `\n64-byte text messages, bursts of 100 per turn, one local member; best of ${ROUNDS}; Node ${process.version}.`,
  );
} finally {
  redisChild?.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
}

async function measure(
  kind: 'memory' | 'redis',
  history: boolean,
  admin: Redis,
  round: number,
): Promise<{ node: number; redis: number }> {
  const broker = kind === 'memory' ? memoryBroker() : redisBroker({ url, prefix: `cpu${round}:` });
  if (kind === 'redis') await (broker as ReturnType<typeof redisBroker>).ready();
  const gate: Gate = createGate({
    broker,
    heartbeat: false,
    ...(history ? { history: { size: 1_000, maxAge: 60_000 } } : {}),
  });
  const topic = `t${history ? 'h' : 'p'}`;
  gate.route('/t', async (s) => {
    await s.subscribe(topic);
    s.send('ready');
  });
  const ws = await gate.inject('/t');
  await new Promise<void>((resolve) => ws.once('message', () => resolve()));
  let received = 0;
  const done = new Promise<void>((resolve) =>
    ws.on('message', () => {
      if (++received === MESSAGES) resolve();
    }),
  );
  const payload = 'x'.repeat(64);
  const redisBefore = await redisCpu(admin);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < MESSAGES; i += 100) {
    for (let j = 0; j < 100; j++) gate.publish(topic, payload);
    await new Promise((r) => setImmediate(r));
  }
  await done;
  const cpu = process.cpuUsage(cpu0);
  const redisUsed = (await redisCpu(admin)) - redisBefore;
  ws.terminate();
  await gate.close({ timeout: 200 });
  return { node: (cpu.user + cpu.system) / MESSAGES, redis: (redisUsed * 1e6) / MESSAGES };
}

async function redisCpu(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const get = (name: string) => Number(info.match(new RegExp(`${name}:([\\d.]+)`))?.[1] ?? 0);
  return get('used_cpu_user') + get('used_cpu_sys');
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
