import { RedisBroker, RedisBrokerError, type RedisBrokerOptions, redisBroker } from '@wsgate/redis';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/poll.ts';
import { freePort, RedisServer, redisAvailable } from './support/redis-server.ts';

type Got = Array<[Buffer | string, boolean]>;

/** A broker wired the way a gate wires it, with its reported errors recorded. */
function node(url: string | undefined, options: RedisBrokerOptions = {}) {
  const errors: RedisBrokerError[] = [];
  const broker = redisBroker(
    options.publisher
      ? { prefix: 'test:', ...options }
      : ({ url, prefix: 'test:', ...options } as RedisBrokerOptions),
  );
  broker.init({ onError: (err) => errors.push(err as RedisBrokerError) });
  return { broker, errors, codes: () => errors.map((e) => e.code) };
}

describe.skipIf(!redisAvailable())('redisBroker on a real Redis', () => {
  let redis: RedisServer;
  let admin: Redis;
  const cleanup: Array<() => unknown> = [];

  const channels = async (): Promise<string[]> => ((await admin.pubsub('CHANNELS')) as string[]).sort();
  const track = <T extends { close(): unknown } | { disconnect(): unknown }>(thing: T): T => {
    cleanup.push(() => ('close' in thing ? thing.close() : thing.disconnect()));
    return thing;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url, { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0 });
    admin.on('error', () => {});
    await admin.connect();
  });
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
    if (!redis.running) await redis.restart();
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  it('delivers to other nodes once, keeps text and binary apart, and never echoes to the publisher', async () => {
    const a = node(redis.url);
    const b = node(redis.url);
    track(a.broker);
    track(b.broker);
    const gotA: Got = [];
    const gotB: Got = [];
    a.broker.subscribe('room', (p, bin) => gotA.push([p, bin]));
    b.broker.subscribe('room', (p, bin) => gotB.push([p, bin]));
    await Promise.all([a.broker.ready(), b.broker.ready()]);
    expect(await admin.pubsub('NUMSUB', 'test:room')).toEqual(['test:room', 2]);

    a.broker.publish('room', 'héllo ✓', { binary: false });
    a.broker.publish('room', Buffer.from([0, 1, 2, 255]), { binary: true });
    a.broker.publish('room', '', { binary: false });
    await eventually(() => gotB.length === 3, 'three messages on b');
    expect(gotB).toEqual([
      ['héllo ✓', false],
      [Buffer.from([0, 1, 2, 255]), true],
      ['', false],
    ]);
    // A fence from b: a's subscriber receives its own three echoes (if any) before it, on one connection.
    b.broker.publish('room', 'fence', { binary: false });
    await eventually(() => gotA.length > 0, 'the fence on a');
    expect(gotA).toEqual([['fence', false]]);
    expect(a.broker.stats()).toMatchObject({ published: 3, received: 1, dropped: 0, failed: 0 });
    expect(a.errors).toEqual([]);
  });

  it('keeps apps apart by prefix and ignores foreign messages on its channels', async () => {
    const a = node(redis.url);
    const other = node(redis.url, { prefix: 'other:' });
    track(a.broker);
    track(other.broker);
    const got: Got = [];
    a.broker.subscribe('room', (p, bin) => got.push([p, bin]));
    await Promise.all([a.broker.ready(), other.broker.ready()]);
    other.broker.publish('room', 'not for you', { binary: false });
    await admin.publish('test:room', 'raw, no envelope');
    const b = node(redis.url);
    track(b.broker);
    await b.broker.ready();
    b.broker.publish('room', 'fence', { binary: false });
    await eventually(() => got.length > 0, 'the fence');
    expect(got).toEqual([['fence', false]]);
    expect(a.broker.stats().malformed).toBe(1);
    expect(a.codes()).toEqual(['ERR_WSGATE_REDIS_MALFORMED']);
  });

  it('subscribes a channel only while the topic has local members', async () => {
    const a = node(redis.url);
    track(a.broker);
    await a.broker.ready();
    expect(await channels()).toEqual([]);
    a.broker.subscribe('x', () => {});
    a.broker.subscribe('y', () => {});
    await eventually(async () => (await channels()).length === 2, 'two channels');
    a.broker.unsubscribe('x');
    await eventually(async () => (await channels()).join() === 'test:y', 'x unsubscribed');
    await a.broker.close();
    await eventually(async () => (await channels()).length === 0, 'no channels after close');
  });

  it('reconciles subscriptions with the topics of now after Redis comes back, and reports the outage once', async () => {
    const a = node(redis.url);
    track(a.broker);
    a.broker.subscribe('kept', () => {});
    a.broker.subscribe('left-during-outage', () => {});
    await a.broker.ready();
    expect(await channels()).toEqual(['test:kept', 'test:left-during-outage']);

    await redis.kill('SIGKILL');
    await eventually(() => a.broker.status === 'down', 'the broker to notice');
    a.broker.unsubscribe('left-during-outage');
    a.broker.subscribe('joined-during-outage', () => {});
    for (let i = 0; i < 50; i++) a.broker.publish('kept', `lost ${i}`, { binary: false });
    expect(a.broker.stats()).toMatchObject({ dropped: 50, outages: 1 });
    // One outage report and one (throttled) drop report, however many publishes were dropped.
    expect(a.codes()).toEqual(['ERR_WSGATE_REDIS_DOWN', 'ERR_WSGATE_REDIS_PUBLISH']);
    expect(a.errors[0]!.message).toContain(`127.0.0.1:${redis.port}`);

    await redis.restart();
    await eventually(() => a.broker.status === 'ready', 'the broker to reconnect');
    expect(await channels()).toEqual(['test:joined-during-outage', 'test:kept']);
  });

  it('leaves caller-owned connections open and reconciles them despite autoResubscribe', async () => {
    const publisher = track(new Redis(redis.url, { retryStrategy: () => 50 }));
    const subscriber = track(new Redis(redis.url, { retryStrategy: () => 50 }));
    for (const c of [publisher, subscriber]) c.on('error', () => {});
    await subscriber.subscribe('theirs');
    const a = node(undefined, { publisher, subscriber });
    a.broker.subscribe('kept', () => {});
    a.broker.subscribe('left', () => {});
    await a.broker.ready();

    await redis.kill('SIGKILL');
    await eventually(() => a.broker.status === 'down', 'the outage');
    a.broker.unsubscribe('left');
    await redis.restart();
    await eventually(() => a.broker.status === 'ready', 'the reconnect');
    // ioredis re-subscribed 'theirs' and 'test:left' on its own; the broker removed only its stale one.
    await eventually(async () => (await channels()).join() === 'test:kept,theirs', 'reconciled channels');

    await a.broker.close();
    expect(publisher.status).toBe('ready');
    expect(subscriber.status).toBe('ready');
    await eventually(async () => (await channels()).join() === 'theirs', 'only their channel left');
    expect(await publisher.ping()).toBe('PONG');
  });

  it('rejects ready() with a clear error when Redis is unreachable at start', async () => {
    const port = await freePort();
    const a = node(`redis://127.0.0.1:${port}`, { connectTimeout: 300 });
    track(a.broker);
    const err = await a.broker.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RedisBrokerError);
    expect(err).toMatchObject({ code: 'ERR_WSGATE_REDIS_CONNECT' });
    expect((err as Error).message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port} within 300 ms.*ECONNREFUSED`));
    expect(a.codes()).toEqual(['ERR_WSGATE_REDIS_CONNECT']);
    expect(a.broker.status).toBe('down');
    a.broker.publish('t', 'x', { binary: false });
    expect(a.broker.stats().dropped).toBe(1);
  });

  it('runs local-only when asked, and joins once Redis answers', async () => {
    const port = await freePort();
    const a = node(`redis://127.0.0.1:${port}`, {
      connectTimeout: 300,
      localOnly: true,
      redis: { retryStrategy: () => 50 },
    });
    track(a.broker);
    a.broker.subscribe('t', () => {});
    await a.broker.ready();
    expect(a.broker.status).toBe('down');
    expect(a.codes()).toEqual(['ERR_WSGATE_REDIS_CONNECT']);
    const late = await RedisServer.start(port);
    cleanup.push(() => late.stop());
    await eventually(() => a.broker.status === 'ready', 'the late connection');
    const lateAdmin = track(new Redis(late.url));
    expect(await lateAdmin.pubsub('CHANNELS')).toEqual(['test:t']);
  });

  it('passes credentials through to ioredis, and a wrong password is a clear connect error', async () => {
    const locked = await RedisServer.start(undefined, ['--requirepass', 's3cret']);
    cleanup.push(() => locked.stop());
    const byUrl = node(`redis://:s3cret@127.0.0.1:${locked.port}`);
    const byOptions = node(locked.url, { redis: { password: 's3cret' } });
    const wrong = node(`redis://:nope@127.0.0.1:${locked.port}`, { connectTimeout: 300 });
    for (const n of [byUrl, byOptions, wrong]) track(n.broker);
    await byUrl.broker.ready();
    await byOptions.broker.ready();
    const err = (await wrong.broker.ready().catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ code: 'ERR_WSGATE_REDIS_CONNECT' });
    expect(err.message).toMatch(/WRONGPASS|invalid password/i);
    expect(err.message).not.toContain('nope');
  });

  it('takes TLS from a rediss:// URL', async () => {
    const port = await freePort();
    const a = node(`rediss://127.0.0.1:${port}`, { connectTimeout: 200 });
    track(a.broker);
    const err = (await a.broker.ready().catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`rediss://127.0.0.1:${port}`);
  });

  it('validates its options eagerly', () => {
    expect(() => redisBroker({ url: 'http://x' })).toThrow(/url must start with 'redis:\/\/'/);
    expect(() => redisBroker({ connectTimeout: 0 })).toThrow(/connectTimeout must be a positive number/);
    expect(() => redisBroker({ prefx: 'a' } as never)).toThrow(/unknown option 'prefx'/);
    const c = new Redis({ lazyConnect: true });
    expect(() => redisBroker({ publisher: c, subscriber: c })).toThrow(/must be different connections/);
    expect(() => redisBroker({ publisher: c, url: 'redis://x' } as never)).toThrow(/not both/);
    expect(RedisBroker).toBeTypeOf('function');
  });
});
