import { fileURLToPath } from 'node:url';
import { createGate, type Gate } from '@wsgate/core';
import { type RedisBroker, redisBroker } from '@wsgate/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, openClient, type WebSocket } from '../support/ws.ts';
import { type ChildEvent, NodeProcess } from './support/node-process.ts';
import { eventually } from './support/poll.ts';
import { RedisServer, redisAvailable } from './support/redis-server.ts';

const nodeScript = fileURLToPath(new URL('./fixtures/history-node.ts', import.meta.url));
const PREFIX = 'pres:';
/** The nodes' presence heartbeat (ms): a dead node is out of presence within 3 of them. */
const HEARTBEAT = 200;

describe.skipIf(!redisAvailable())('presence across processes on Redis', () => {
  let redis: RedisServer;
  let nodes: NodeProcess[] = [];
  let ports: number[] = [];
  let worker: Gate;
  let workerBroker: RedisBroker;
  const clients: WebSocket[] = [];

  const env = () => ({ REDIS_URL: redis.url, PREFIX, HEARTBEAT: String(HEARTBEAT) });
  const start = async (n: NodeProcess) =>
    (await n.waitFor((e) => e.type === 'listening', 'listening')).port as number;
  const join = async (port: number, topic: string, name?: string) => {
    const ws = await openClient(`ws://127.0.0.1:${port}/topics/${topic}${name ? `?name=${name}` : ''}`);
    clients.push(ws);
    expect(await collect(ws, 1)).toEqual(['ready']);
    return ws;
  };
  const names = async (topic: string) =>
    (await worker.presence(topic)).map((m) => (m.info as { name: string }).name).sort();
  const presenceEvent = (topic: string, change: string, name: string) => (e: ChildEvent) =>
    e.type === 'presence' &&
    e.topic === topic &&
    e.change === change &&
    (e.member as { info: { name: string } }).info.name === name;

  beforeAll(async () => {
    redis = await RedisServer.start();
    nodes = [0, 1].map(() => new NodeProcess(nodeScript, env()));
    ports = await Promise.all(nodes.map(start));
    workerBroker = redisBroker({ url: redis.url, prefix: PREFIX, presenceHeartbeat: HEARTBEAT });
    worker = createGate({ broker: workerBroker, onError: () => {} });
    await workerBroker.ready();
  });
  afterEach(() => {
    for (const ws of clients.splice(0)) ws.terminate();
  });
  afterAll(async () => {
    await worker?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    await redis?.stop();
  });

  it('lists members of every node; joins and leaves reach the other nodes as events', async () => {
    const topic = 'lobby';
    await Promise.all(ports.map((port) => join(port, topic))); // both nodes follow the topic
    const marks = nodes.map((n) => n.events.length);
    const alice = await join(ports[0]!, topic, 'alice');
    await join(ports[1]!, topic, 'bob');
    expect(await names(topic)).toEqual(['alice', 'bob']);
    await nodes[1]!.waitFor(presenceEvent(topic, 'join', 'alice'), 'alice joined, seen on node 1', marks[1]);
    await nodes[0]!.waitFor(presenceEvent(topic, 'join', 'bob'), 'bob joined, seen on node 0', marks[0]);
    const members = await worker.presence(topic);
    expect(new Set(members.map((m) => m.node)).size).toBe(2);

    alice.close();
    await nodes[1]!.waitFor(presenceEvent(topic, 'leave', 'alice'), 'alice left, seen on node 1', marks[1]);
    expect(await names(topic)).toEqual(['bob']);
  });

  it(`a SIGKILLed node's members leave presence within ${3 * HEARTBEAT} ms (3 heartbeats), announced to the others`, async () => {
    const topic = 'crash';
    await join(ports[0]!, topic);
    const doomed = new NodeProcess(nodeScript, env());
    try {
      const port = await start(doomed);
      await join(port, topic, 'carol');
      await join(port, topic, 'dave');
      expect(await names(topic)).toEqual(['carol', 'dave']);
      const mark = nodes[0]!.events.length;
      // Right after a heartbeat of the doomed node is the worst case: it still counts for 3 intervals.
      const killedAt = Date.now();
      doomed.child.kill('SIGKILL');
      await eventually(async () => (await names(topic)).length === 0, 'the dead node out of presence', 5_000);
      const gone = Date.now() - killedAt;
      // 3 heartbeats, plus slack for timers on a busy machine.
      expect(gone).toBeLessThanOrEqual(3 * HEARTBEAT + 400);
      await nodes[0]!.waitFor(presenceEvent(topic, 'leave', 'carol'), 'carol leaves', mark, 5_000);
      await nodes[0]!.waitFor(presenceEvent(topic, 'leave', 'dave'), 'dave leaves', mark, 5_000);
      // Announced by the next sweep of a live node: 4 heartbeats, plus slack.
      expect(Date.now() - killedAt).toBeLessThanOrEqual(4 * HEARTBEAT + 600);
    } finally {
      await doomed.stop();
    }
  });
});
