import { fileURLToPath } from 'node:url';
import { createGate, type Gate } from '@wsgate/core';
import { type RedisBroker, redisBroker } from '@wsgate/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type Client, connect } from '../../packages/client/src/index.ts';
import { NodeProcess } from './support/node-process.ts';
import { eventually } from './support/poll.ts';
import { freePort, RedisServer, redisAvailable } from './support/redis-server.ts';

const nodeScript = fileURLToPath(new URL('./fixtures/resume-node.ts', import.meta.url));
const PREFIX = 'resume:';
const TOPICS = 10;
/**
 * Clients over both nodes, each in one topic. Set by WSGATE_RESUME_CLIENTS; 1,000 (the size) runs
 * in about 20 s on the 2-core CI machine, most of it the 10 s of publishing.
 */
const CLIENTS = Number(process.env.WSGATE_RESUME_CLIENTS ?? 1_000);
/** 200 msg/s over the topics: 10 per 50 ms tick, for 10 s; node A restarts with drain after 3 s. */
const TICK_MS = 50;
const TICKS = 200;
const RESTART_AT = 60;

describe.skipIf(!redisAvailable())('resume across a drained restart, two processes on Redis', () => {
  let redis: RedisServer;
  const nodes: NodeProcess[] = [];
  let publisher: Gate;
  let publisherBroker: RedisBroker;
  const clients: Client[] = [];

  async function startNode(port: number): Promise<NodeProcess> {
    const node = new NodeProcess(nodeScript, {
      REDIS_URL: redis.url,
      PREFIX,
      PORT: String(port),
      DRAIN: '1000',
    });
    nodes.push(node);
    await node.waitFor((e) => e.type === 'listening', 'listening');
    return node;
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    publisherBroker = redisBroker({ url: redis.url, prefix: PREFIX, redis: { retryStrategy: () => 50 } });
    publisher = createGate({ broker: publisherBroker, history: { size: 10_000, maxAge: 120_000 } });
    await publisherBroker.ready();
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(nodes.map((n) => n.stop()));
    await publisher?.close();
    await redis?.stop();
  });

  it(`${CLIENTS} clients keep every topic's sequence complete and duplicate-free`, async () => {
    const ports = [await freePort(), await freePort()];
    let nodeA = await startNode(ports[0]!);
    await startNode(ports[1]!);
    /** What each client's application saw of its topic: the numbers, in order of arrival. */
    const seen: number[][] = [];
    const resets: number[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const topic = `t${i % TOPICS}`;
      const client = connect(`ws://127.0.0.1:${ports[i % 2]}/topics/${topic}`, {
        WebSocket,
        reconnect: { minDelay: 50, maxDelay: 500 },
        maxHandshakeFailures: 1_000,
      });
      const got: number[] = [];
      seen.push(got);
      client.on('message', (data) => got.push(Number(data)));
      client.on('reset', () => resets.push(i));
      clients.push(client);
    }
    const members = async () => {
      let n = 0;
      for (let t = 0; t < TOPICS; t++) n += (await publisher.presence(`t${t}`)).length;
      return n;
    };
    await eventually(async () => (await members()) === CLIENTS, 'every client subscribed', 30_000);

    let restarted: Promise<void> | undefined;
    for (let tick = 1; tick <= TICKS; tick++) {
      for (let t = 0; t < TOPICS; t++) publisher.publish(`t${t}`, String(tick));
      if (tick === RESTART_AT) {
        const old = nodeA;
        restarted = (async () => {
          const exited = new Promise((r) => old.child.once('exit', r));
          old.child.stdin!.write('drain\n');
          await exited;
          nodeA = await startNode(ports[0]!);
        })();
      }
      await new Promise((r) => setTimeout(r, TICK_MS)); // the publish rate, not a synchronisation
    }
    await restarted;
    const complete = () => seen.every((got) => got.length >= TICKS);
    await eventually(complete, 'every client has every message', 30_000);

    const expected = Array.from({ length: TICKS }, (_, i) => i + 1);
    const wrong = seen.flatMap((got, i) => (got.join() === expected.join() ? [] : [i]));
    expect(wrong.length, `client ${wrong[0]} saw ${seen[wrong[0]!]?.join()}`).toBe(0);
    expect(resets).toEqual([]);
    // Half of the clients went through the restart, and came back.
    expect(clients.every((c) => c.state === 'open')).toBe(true);
  }, 120_000);
});
