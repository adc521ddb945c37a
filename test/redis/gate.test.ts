import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGate, type Gate } from '@wsgate/core';
import { type RedisBroker, redisBroker } from '@wsgate/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closed, openClient, until, type WebSocket } from '../support/ws.ts';
import { eventually } from './support/poll.ts';
import { RedisServer, redisAvailable } from './support/redis-server.ts';

describe.skipIf(!redisAvailable())('a gate with redisBroker', () => {
  let redis: RedisServer;
  let admin: Redis;
  let gate: Gate;
  let broker: RedisBroker;
  let server: Server;
  let url: string;
  const errors: unknown[] = [];
  const clients: WebSocket[] = [];

  const channels = async () => ((await admin.pubsub('CHANNELS')) as string[]).sort();

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
    broker = redisBroker({ url: redis.url, prefix: 'app:' });
    gate = createGate({ broker, heartbeat: false, onError: (err) => errors.push(err) });
    gate.route('/rooms/:room', (session) => {
      session.subscribe(`room:${session.params.room}`);
      session.on('message', (m) => {
        if (m === 'leave') session.unsubscribe(`room:${session.params.room}`);
      });
    });
    server = createServer();
    gate.attach(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await broker.ready();
  });
  afterEach(() => {
    for (const ws of clients.splice(0)) ws.terminate();
  });
  afterAll(async () => {
    await gate?.close({ timeout: 500 });
    server?.closeAllConnections();
    server?.close();
    admin?.disconnect();
    await redis?.stop();
  });

  it('unsubscribes the channel when the last local member leaves, not before', async () => {
    const a = await openClient(`${url}/rooms/lobby`);
    const b = await openClient(`${url}/rooms/lobby`);
    clients.push(a, b);
    await eventually(async () => (await channels()).includes('app:room:lobby'), 'the channel');

    a.close();
    await closed(a);
    await until(() => gate.topicMembers('room:lobby').size === 1, 'one member left');
    // Both the session's close and any UNSUBSCRIBE would have gone out before this round trip returns.
    expect(await admin.ping()).toBe('PONG');
    expect(await channels()).toContain('app:room:lobby');

    b.send('leave');
    await until(() => gate.topicMembers('room:lobby').size === 0, 'no member left');
    await eventually(async () => !(await channels()).includes('app:room:lobby'), 'the channel to go');
    expect(errors).toEqual([]);
  });

  it('closes its own connections when the gate closes', async () => {
    const extra = redisBroker({ url: redis.url, prefix: 'app:' });
    const other = createGate({ broker: extra });
    await extra.ready();
    const before = Number((await admin.info('clients')).match(/connected_clients:(\d+)/)![1]);
    await other.close();
    expect(extra.status).toBe('closed');
    await eventually(
      async () => Number((await admin.info('clients')).match(/connected_clients:(\d+)/)![1]) === before - 2,
      'both connections to close',
    );
  });
});
