import { createGate, type Gate } from '@wsgate/core';
import { type RedisBroker, redisBroker } from '@wsgate/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, track, type WebSocket } from '../support/ws.ts';
import { RedisCluster } from './support/redis-cluster.ts';
import { redisAvailable } from './support/redis-server.ts';

const TOPICS = Array.from({ length: 12 }, (_, i) => `room:${i}`);
const COUNT = 200;

describe.skipIf(!redisAvailable())('topics and history on a 3-master Redis Cluster', () => {
  let cluster: RedisCluster;
  const gates: Gate[] = [];
  const brokers: RedisBroker[] = [];
  const clients: WebSocket[] = [];

  beforeAll(async () => {
    cluster = await RedisCluster.start(3);
    for (let i = 0; i < 2; i++) {
      const broker = redisBroker({ cluster: cluster.nodes, prefix: 'c:' });
      const gate = createGate({
        broker,
        heartbeat: false,
        history: { size: 1_000 },
        limits: { messages: false },
      });
      gate.route('/t', async (s) => {
        await s.subscribe(s.query.get('topic')!, { presence: { i } });
        s.send('ready');
      });
      brokers.push(broker);
      gates.push(gate);
    }
    await Promise.all(brokers.map((b) => b.ready()));
  }, 60_000);
  afterAll(async () => {
    for (const ws of clients) ws.terminate();
    for (const g of gates) await g.close({ timeout: 200 });
    await cluster?.stop();
  });

  it('delivers every topic in offset order on both nodes (each publisher in its order), keys and channels on every shard', async () => {
    const byTopic = new Map<string, WebSocket[]>();
    for (const topic of TOPICS) {
      // Tracked at once: the second client's 'ready' may arrive while the first one's is awaited.
      const pair = await Promise.all(
        gates.map(async (g) => track(await g.inject(`/t?topic=${encodeURIComponent(topic)}`))),
      );
      clients.push(...pair);
      for (const ws of pair) expect(await collect(ws, 1)).toEqual(['ready']);
      byTopic.set(topic, pair);
    }
    for (let n = 1; n <= COUNT; n++)
      for (const topic of TOPICS) gates[n % 2]!.publish(topic, `${topic} ${n}`);
    for (const [topic, pair] of byTopic) {
      // Two publishers on two connections: Redis interleaves them, and offsets say how. Both nodes deliver
      // exactly that order, and each publisher's messages keep the order it published them in.
      const got = await Promise.all(pair.map((ws) => collect(ws, COUNT)));
      const page = await gates[0]!.history(topic, { limit: COUNT });
      expect(page).toMatchObject({ offset: COUNT, reset: false });
      const order = page.messages.map((m) => m.data as string);
      for (const g of got) expect(g).toEqual(order);
      for (const parity of [0, 1]) {
        const mine = order.map((m) => Number(m.split(' ')[1])).filter((n) => n % 2 === parity);
        expect(mine).toEqual([...mine].sort((a, b) => a - b));
        expect(mine).toHaveLength(COUNT / 2);
      }
      expect((await gates[1]!.presence(topic)).map((m) => m.info)).toEqual(
        expect.arrayContaining([{ i: 0 }, { i: 1 }]),
      );
    }
    // Every shard holds some topics' streams and serves some topics' sharded channels.
    for (const server of cluster.servers) {
      const admin = new Redis(server.url);
      try {
        expect(((await admin.keys('c:{*}:s')) as string[]).length).toBeGreaterThan(0);
        expect(((await admin.call('PUBSUB', 'SHARDCHANNELS', 'c:*')) as string[]).length).toBeGreaterThan(0);
      } finally {
        admin.disconnect();
      }
    }
  });

  it('CLIENT KILL TYPE pubsub on every shard mid-stream: every session still gets all 1,000 messages of each topic, in order', async () => {
    const topics = TOPICS.slice(0, 6).map((t) => `${t}:kill`);
    const byTopic = new Map<string, WebSocket[]>();
    for (const topic of topics) {
      const ws = track(await gates[0]!.inject(`/t?topic=${encodeURIComponent(topic)}`));
      clients.push(ws);
      expect(await collect(ws, 1)).toEqual(['ready']);
      byTopic.set(topic, [ws]);
    }
    const admins = cluster.servers.map((s) => new Redis(s.url));
    try {
      for (let n = 1; n <= 1_000; n++) {
        for (const topic of topics) gates[1]!.publish(topic, String(n));
        // After the kill, the rest goes out in one turn: most of it reaches Redis before the shards'
        // subscribers are back, so only reading the streams back can deliver it.
        if (n === 300) await Promise.all(admins.map((a) => a.client('KILL', 'TYPE', 'pubsub')));
        else if (n < 300 && n % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      const expected = Array.from({ length: 1_000 }, (_, i) => String(i + 1));
      for (const [, [ws]] of byTopic) expect(await collect(ws!, 1_000)).toEqual(expected);
    } finally {
      for (const a of admins) a.disconnect();
    }
  });

  it('refuses a topic whose hash tag would be empty', () => {
    expect(() => gates[0]!.publish('}x', 'y')).toThrow(/cannot start with '}' on Redis Cluster/);
  });
});
