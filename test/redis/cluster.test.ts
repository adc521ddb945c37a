import { fileURLToPath } from 'node:url';
import { createGate } from '@wsgate/core';
import { redisBroker } from '@wsgate/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, openClient, type WebSocket } from '../support/ws.ts';
import { NodeProcess } from './support/node-process.ts';
import { eventually } from './support/poll.ts';
import { RedisServer, redisAvailable } from './support/redis-server.ts';

const nodeScript = fileURLToPath(new URL('./fixtures/cluster-node.ts', import.meta.url));
const PREFIX = 'cluster:';

describe.skipIf(!redisAvailable())('three wsgate processes sharing one Redis', () => {
  let redis: RedisServer;
  let admin: Redis;
  let nodes: NodeProcess[] = [];
  let ports: number[] = [];
  const clients: WebSocket[] = [];
  let topicSeq = 0;

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url, { retryStrategy: () => 50 });
    admin.on('error', () => {});
    nodes = [0, 1, 2].map(() => new NodeProcess(nodeScript, { REDIS_URL: redis.url, PREFIX }));
    const listening = await Promise.all(
      nodes.map((n) => n.waitFor((e) => e.type === 'listening', 'listening')),
    );
    ports = listening.map((e) => e.port as number);
  });
  afterEach(() => {
    for (const ws of clients.splice(0)) ws.terminate();
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    admin?.disconnect();
    await redis?.stop();
  });

  /** Two clients on every node in a fresh topic; resolves once all three nodes' subscriptions are in Redis. */
  async function joinAll(): Promise<{ topic: string; byNode: WebSocket[][] }> {
    const topic = `t${++topicSeq}`;
    const byNode = await Promise.all(
      ports.map((port) =>
        Promise.all([0, 1].map(() => openClient(`ws://127.0.0.1:${port}/topics/${topic}`))),
      ),
    );
    clients.push(...byNode.flat());
    await eventually(
      async () => (await admin.pubsub('NUMSUB', PREFIX + topic))[1] === 3,
      'three subscribed nodes',
    );
    return { topic, byNode };
  }

  /** The next message of every client. */
  const nextOfAll = (all: WebSocket[]) => Promise.all(all.map(async (ws) => (await collect(ws, 1))[0]));

  it('delivers a publish on one node to every client on every node exactly once, keeping the frame type', async () => {
    const { byNode } = await joinAll();
    const all = byNode.flat();

    byNode[0]![0]!.send('héllo from node 0');
    expect(await nextOfAll(all)).toEqual(Array(6).fill('héllo from node 0'));
    // A fence from another node: Redis delivers it after any duplicate of the first message on the same
    // subscriber connection, so a duplicate would show up here instead of the fence.
    byNode[1]![1]!.send('fence 1');
    expect(await nextOfAll(all)).toEqual(Array(6).fill('fence 1'));

    const bytes = Buffer.from([0xff, 0x00, 0x7b, 0x22]);
    byNode[2]![0]!.send(bytes);
    const binary = await nextOfAll(all);
    for (const m of binary) {
      expect(Buffer.isBuffer(m)).toBe(true);
      expect(m).toEqual(bytes);
    }
    byNode[0]![1]!.send('{"fence":2}');
    expect(await nextOfAll(all)).toEqual(Array(6).fill('{"fence":2}'));
  });

  it('publishes from a process with no sockets (a worker) through the same broker', async () => {
    const { topic, byNode } = await joinAll();
    const all = byNode.flat();
    const broker = redisBroker({ url: redis.url, prefix: PREFIX });
    const worker = createGate({ broker });
    try {
      await broker.ready();
      worker.publish(topic, 'from the worker');
      worker.publish(topic, new Uint8Array([1, 2, 3]));
      expect(await nextOfAll(all)).toEqual(Array(6).fill('from the worker'));
      expect(await nextOfAll(all)).toEqual(Array(6).fill(Buffer.from([1, 2, 3])));
    } finally {
      await worker.close();
    }
    expect(broker.status).toBe('closed');
    expect(broker.stats()).toMatchObject({ published: 2, dropped: 0, failed: 0 });
  });

  it('survives a Redis SIGKILL and restart: the outage is reported, local delivery goes on, then delivery resumes', async () => {
    const { topic, byNode } = await joinAll();
    const marks = nodes.map((n) => n.events.length);

    await redis.kill('SIGKILL');
    await Promise.all(
      nodes.map((n, i) =>
        n.waitFor(
          (e) => e.type === 'error' && e.code === 'ERR_WSGATE_REDIS_DOWN',
          'the outage report',
          marks[i],
        ),
      ),
    );
    // During the outage node 0 still delivers to its own clients; the other nodes cannot hear it, and it
    // is not queued for them (at-most-once).
    byNode[0]![0]!.send('during the outage');
    expect(await nextOfAll(byNode[0]!)).toEqual(['during the outage', 'during the outage']);

    await redis.restart();
    await Promise.all(
      nodes.map((n, i) =>
        n.waitFor((e) => e.type === 'status' && e.status === 'ready', 'reconnected', marks[i]),
      ),
    );
    expect((await admin.pubsub('NUMSUB', PREFIX + topic))[1]).toBe(3);
    byNode[2]![1]!.send('after the restart');
    expect(await nextOfAll(byNode.flat())).toEqual(Array(6).fill('after the restart'));
    const errors = nodes.flatMap((n, i) => n.events.slice(marks[i]).filter((e) => e.type === 'error'));
    expect(errors.every((e) => e.phase === 'broker')).toBe(true);
  });
});
