/**
 * Resume after a rolling restart, with history on Redis (not part of `pnpm bench`'s table; run by hand):
 * N @wsgate/client clients (ws) on one wsgate process, each in one of 10 topics; a publisher here at
 * 200 msg/s over the topics; the process is closed with 1012 spread over `--drain` ms and started again
 * on the same port. Measures the time from the drain until every client is back and has every message
 * published before the new process listened (contiguous, no duplicate), and the new process's CPU time
 * per resumed client over that window (replays, handshakes and the live traffic meanwhile).
 *
 *   node --conditions=@wsgate/source --import tsx bench/resume.ts [--clients 2000] [--drain 1000] [--rate 200]
 *
 * `--rate` is messages per second over all topics (each goes to clients/10 clients, all in this process:
 * at 10,000 clients and 200 msg/s that is 200k frames/s for this one load-generating process).
 *
 * The server process is test/redis/fixtures/resume-node.ts; Redis is a private redis-server.
 */
import { fileURLToPath } from 'node:url';
import { createGate } from '@wsgate/core';
import { redisBroker } from '@wsgate/redis';
import { WebSocket } from 'ws';
import { type Client, connect } from '../packages/client/src/index.ts';
import { type ChildEvent, NodeProcess } from '../test/redis/support/node-process.ts';
import { freePort, RedisServer } from '../test/redis/support/redis-server.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const CLIENTS = flag('--clients', 2_000);
const DRAIN = flag('--drain', 1_000);
const TOPICS = 10;
const RATE = flag('--rate', 200);
const nodeScript = fileURLToPath(new URL('../test/redis/fixtures/resume-node.ts', import.meta.url));

const redis = await RedisServer.start();
const port = await freePort();
const env = { REDIS_URL: redis.url, PREFIX: 'bench-resume:', PORT: String(port), DRAIN: String(DRAIN) };
const startNode = async () => {
  const node = new NodeProcess(nodeScript, env);
  await node.waitFor((e) => e.type === 'listening', 'listening', 0, 60_000);
  return node;
};
const cpu = async (node: NodeProcess) => {
  const from = node.events.length;
  node.child.stdin!.write('cpu\n');
  return (await node.waitFor((e: ChildEvent) => e.type === 'cpu', 'cpu', from)).micros as number;
};
const until = async (check: () => boolean, ms = 300_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

let node = await startNode();
const pubBroker = redisBroker({ url: redis.url, prefix: 'bench-resume:' });
const publisher = createGate({ broker: pubBroker, history: { size: 10_000, maxAge: 120_000 } });
await pubBroker.ready();

const seen: number[][] = [];
const clients: Client[] = [];
for (let i = 0; i < CLIENTS; i++) {
  const got: number[] = [];
  seen.push(got);
  const c = connect(`ws://127.0.0.1:${port}/topics/t${i % TOPICS}`, {
    WebSocket,
    reconnect: { minDelay: 100, maxDelay: 2_000 },
    maxHandshakeFailures: 10_000,
  });
  c.on('message', (d) => got.push(Number(d)));
  clients.push(c);
}
const members = async () => {
  let n = 0;
  for (let t = 0; t < TOPICS; t++) n += (await publisher.presence(`t${t}`)).length;
  return n;
};
for (;;) {
  if ((await members()) === CLIENTS) break;
  await new Promise((r) => setTimeout(r, 50));
}

let tick = 0;
// One message per topic per tick: RATE msg/s over the topics.
const timer = setInterval(
  () => {
    tick++;
    for (let t = 0; t < TOPICS; t++) publisher.publish(`t${t}`, String(tick));
  },
  (1000 * TOPICS) / RATE,
);
await until(() => tick >= 5);

const drainAt = performance.now();
const old = node;
const exited = new Promise((r) => old.child.once('exit', r));
old.child.stdin!.write('drain\n');
await exited;
node = await startNode();
const listenAt = performance.now();
const cpuAtListen = await cpu(node);
const target = tick;
const complete = (got: number[]) => got.length >= target && got[target - 1] === target;
await until(() => seen.every(complete) && clients.every((c) => c.state === 'open'));
const doneAt = performance.now();
const cpuDone = await cpu(node);
clearInterval(timer);

const bad = seen.filter((got) => got.some((n, i) => n !== i + 1)).length;
console.log(
  `| clients | msg/s | drain | back and complete after the drain began | after the new process listened | new process CPU per resumed client | sequences wrong |`,
);
console.log(`| --- | --- | --- | --- | --- | --- | --- |`);
console.log(
  `| ${CLIENTS} | ${RATE} | ${DRAIN} ms | ${((doneAt - drainAt) / 1000).toFixed(2)} s | ${((doneAt - listenAt) / 1000).toFixed(2)} s | ${((cpuDone - cpuAtListen) / CLIENTS).toFixed(0)} µs | ${bad} |`,
);
for (const c of clients) c.close();
await node.stop();
await publisher.close();
await redis.stop();
process.exit(0);
