import { redisBroker } from '@wsgate/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer, redisAvailable } from '../redis/support/redis-server.ts';
import type { WebSocket } from '../support/ws.ts';
import { type RunningChat, startChat } from './support/chat-server.ts';
import { joinRoom, nextMatching, presenceOf, signIn } from './support/clients.ts';

describe.skipIf(!redisAvailable())('two chat instances on one Redis (REDIS_URL)', () => {
  let redis: RedisServer;
  const chats: RunningChat[] = [];
  const clients: WebSocket[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterAll(async () => {
    for (const ws of clients) ws.terminate();
    await Promise.allSettled(chats.map((chat) => chat.stop()));
    await redis?.stop();
  });

  it('share a room: presence converges and messages cross both ways', async () => {
    for (const nodeId of ['A', 'B']) {
      const broker = redisBroker({ url: redis.url, prefix: 'chat-test:' });
      await broker.ready();
      chats.push(await startChat({ secret: 'redis-suite', broker, nodeId }));
    }
    const [a, b] = chats as [RunningChat, RunningChat];
    const ann = await joinRoom(a.url, 'lobby', await signIn(a.url, 'Ann'));
    clients.push(ann.ws);
    const bob = await joinRoom(b.url, 'lobby', await signIn(b.url, 'Bob'));
    clients.push(bob.ws);
    // Each side seeing the other means each instance's SUBSCRIBE is active.
    await nextMatching(ann.ws, presenceOf('Ann', 'Bob'));
    if (JSON.stringify(bob.welcome.members) !== '["Ann","Bob"]') {
      await nextMatching(bob.ws, presenceOf('Ann', 'Bob'));
    }

    ann.ws.send(JSON.stringify({ type: 'message', text: 'from A' }));
    expect(await nextMatching(bob.ws, (e) => e.type === 'message')).toMatchObject({
      from: 'Ann',
      text: 'from A',
    });
    bob.ws.send(JSON.stringify({ type: 'message', text: 'from B' }));
    expect(await nextMatching(ann.ws, (e) => e.type === 'message' && e.from === 'Bob')).toMatchObject({
      text: 'from B',
    });
  });
});
