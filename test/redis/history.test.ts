import { fileURLToPath } from 'node:url';
import { createGate, type Gate } from '@wsgate/core';
import { type RedisBroker, redisBroker } from '@wsgate/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, openClient, type WebSocket } from '../support/ws.ts';
import { NodeProcess } from './support/node-process.ts';
import { eventually } from './support/poll.ts';
import { RedisServer, redisAvailable } from './support/redis-server.ts';

const nodeScript = fileURLToPath(new URL('./fixtures/history-node.ts', import.meta.url));
const PREFIX = 'hist:';
const COUNT = 1_000;

describe.skipIf(!redisAvailable())('topic history across processes on Redis', () => {
  let redis: RedisServer;
  let admin: Redis;
  let nodes: NodeProcess[] = [];
  let ports: number[] = [];
  let worker: Gate;
  let workerBroker: RedisBroker;
  const clients: WebSocket[] = [];
  let topicSeq = 0;

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url, { retryStrategy: () => 50 });
    admin.on('error', () => {});
    nodes = [0, 1].map(() => new NodeProcess(nodeScript, { REDIS_URL: redis.url, PREFIX }));
    const listening = await Promise.all(
      nodes.map((n) => n.waitFor((e) => e.type === 'listening', 'listening')),
    );
    ports = listening.map((e) => e.port as number);
    workerBroker = redisBroker({ url: redis.url, prefix: PREFIX, redis: { retryStrategy: () => 50 } });
    worker = createGate({
      broker: workerBroker,
      history: { size: 5_000, maxAge: 60_000 },
      onError: () => {},
    });
    await workerBroker.ready();
  });
  afterEach(() => {
    for (const ws of clients.splice(0)) ws.terminate();
  });
  afterAll(async () => {
    await worker?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    admin?.disconnect();
    await redis?.stop();
  });

  /** Two clients on each node in a fresh topic, each told 'ready' once its subscription is live. */
  async function joinAll(): Promise<{ topic: string; all: WebSocket[] }> {
    const topic = `t${++topicSeq}`;
    const all = await Promise.all(
      ports.flatMap((port) => [0, 1].map(() => openClient(`ws://127.0.0.1:${port}/topics/${topic}`))),
    );
    clients.push(...all);
    for (const ws of all) expect(await collect(ws, 1)).toEqual(['ready']);
    return { topic, all };
  }

  /** Publishes 1..n from the worker, a few per turn, running `midway` once after `at` messages. */
  async function publishNumbered(
    topic: string,
    from: number,
    to: number,
    at: number,
    midway: () => Promise<unknown>,
  ) {
    for (let i = from; i <= to; i++) {
      worker.publish(topic, String(i));
      if (i === at) await midway();
      else if (i % 25 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  const numbers = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

  it('CLIENT KILL TYPE pubsub mid-stream: every session gets all 1,000 messages once, in order', async () => {
    const { topic, all } = await joinAll();
    const marks = nodes.map((n) => n.events.length);
    await publishNumbered(topic, 1, COUNT, 300, async () => {
      const killed = await admin.client('KILL', 'TYPE', 'pubsub');
      expect(Number(killed)).toBeGreaterThanOrEqual(2);
    });
    for (const ws of all) expect(await collect(ws, COUNT)).toEqual(numbers(1, COUNT));
    // The kill really cut the nodes' subscriptions (they reconnected), and nobody was told to reset.
    await Promise.all(
      nodes.map((n, i) =>
        n.waitFor((e) => e.type === 'status' && e.status === 'ready', 'reconnected', marks[i]),
      ),
    );
    for (const [i, n] of nodes.entries())
      expect(n.events.slice(marks[i]).filter((e) => e.type === 'reset')).toEqual([]);
  });

  it('CLIENT PAUSE mid-stream: every session gets all 1,000 messages once, in order', async () => {
    const { topic, all } = await joinAll();
    await publishNumbered(topic, 1, COUNT, 500, () => admin.client('PAUSE', 300, 'ALL'));
    for (const ws of all) expect(await collect(ws, COUNT)).toEqual(numbers(1, COUNT));
  });

  it('a lost message on pub/sub is filled from the stream before later ones are delivered', async () => {
    const { topic, all } = await joinAll();
    // Appended with no PUBLISH (what a dropped pub/sub message looks like to the nodes), then a normal one.
    worker.publish(topic, 'first');
    for (const ws of all) expect(await collect(ws, 1)).toEqual(['first']);
    await admin.eval(
      `local o = redis.call('HINCRBY', KEYS[1], 's', 1)
       redis.call('XADD', KEYS[2], o .. '-0', 'd', 'lost on pub/sub', 'b', '0', 't', redis.call('TIME')[1] * 1000)`,
      2,
      `${PREFIX}{${topic}}:m`,
      `${PREFIX}{${topic}}:s`,
    );
    worker.publish(topic, 'third');
    for (const ws of all) expect(await collect(ws, 2)).toEqual(['lost on pub/sub', 'third']);
    const page = await worker.history(topic, {});
    expect(page.messages.map((m) => [m.offset, m.data])).toEqual([
      [1, 'first'],
      [2, 'lost on pub/sub'],
      [3, 'third'],
    ]);
  });

  it('messages older than maxAge are not read back', async () => {
    const broker = redisBroker({ url: redis.url, prefix: PREFIX });
    const errors: unknown[] = [];
    const gate = createGate({ broker, history: { maxAge: 50 }, onError: (err) => errors.push(err) });
    try {
      await broker.ready();
      const topic = `age${++topicSeq}`;
      gate.publish(topic, 'old');
      await eventually(async () => (await gate.history(topic)).offset === 1, 'the first append');
      const t0 = Date.now();
      await eventually(() => Date.now() - t0 > 60, 'maxAge to pass'); // the bound itself is time
      gate.publish(topic, 'new');
      await eventually(async () => (await gate.history(topic)).offset === 2, 'the second append');
      const page = await gate.history(topic);
      expect(page.messages.map((m) => [m.offset, m.data])).toEqual([[2, 'new']]);
    } finally {
      await gate.close();
    }
    expect(errors).toEqual([]);
  });

  it('a publish to a topic with history while Redis is down reaches no one (no offset), and onError says so', async () => {
    const own = await RedisServer.start();
    const broker = redisBroker({ url: own.url, prefix: PREFIX, redis: { retryStrategy: () => 50 } });
    const errors: unknown[] = [];
    const gate = createGate({ broker, heartbeat: false, history: {}, onError: (err) => errors.push(err) });
    gate.route('/t', async (s) => {
      s.on('reset', (_t, info) => s.send(`reset ${info.reason}`));
      await s.subscribe('down');
      s.send('ready');
    });
    try {
      await broker.ready();
      const ws = await gate.inject('/t');
      clients.push(ws);
      expect(await collect(ws, 1)).toEqual(['ready']);
      await own.kill('SIGKILL');
      await eventually(() => broker.status === 'down', 'the outage seen');
      const before = errors.length;
      gate.publish('down', 'during the outage');
      await eventually(() => errors.length > before, 'the failed publish reported');
      expect(String(errors.at(-1))).toMatch(/not connected; history of 'down' is unavailable/);
      await own.restart();
      await eventually(() => broker.status === 'ready', 'back');
      gate.publish('down', 'after');
      // Nothing of the outage arrives (Redis came back empty, so the reset comes first).
      expect(await collect(ws, 2)).toEqual(['reset epoch', 'after']);
    } finally {
      await gate.close({ timeout: 200 });
      await own.stop();
    }
  });

  it('Redis restarted empty: sessions get a reset, never a silent gap, then the new epoch in order', async () => {
    const { topic, all } = await joinAll();
    await publishNumbered(topic, 1, 100, 0, async () => {});
    for (const ws of all) expect(await collect(ws, 100)).toEqual(numbers(1, 100));
    const before = await worker.history(topic, { limit: 0 });
    const marks = nodes.map((n) => n.events.length);
    await redis.kill('SIGKILL');
    await redis.restart();
    await Promise.all(
      nodes.map((n, i) =>
        n.waitFor((e) => e.type === 'status' && e.status === 'ready', 'reconnected', marks[i]),
      ),
    );
    await eventually(() => workerBroker.status === 'ready', 'the worker reconnected');
    await publishNumbered(topic, 101, 200, 0, async () => {});
    for (const ws of all) {
      const got = await collect(ws, 101);
      expect(got[0]).toBe('reset epoch 0');
      expect(got.slice(1)).toEqual(numbers(101, 200));
    }
    const after = await worker.history(topic, { after: { epoch: before.epoch, offset: before.offset } });
    expect(after.epoch).not.toBe(before.epoch);
    expect(after.reset).toBe(true);
    for (const [i, n] of nodes.entries())
      expect(n.events.slice(marks[i]).filter((e) => e.type === 'reset')).toEqual([
        expect.objectContaining({ topic, reason: 'epoch' }),
      ]);
  });
});
