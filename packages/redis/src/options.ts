import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/** Options every form of {@link redisBroker} accepts. */
export interface RedisBrokerCommonOptions {
  /**
   * Prepended to every topic to name its Redis channel (`prefix + topic`). Give each app sharing a Redis its
   * own prefix so their topics never meet.
   * @default 'wsgate:'
   */
  prefix?: string | undefined;
  /**
   * Milliseconds the broker may take to reach Redis after it is created. Past it `ready()` rejects with
   * `ERR_WSGATE_REDIS_CONNECT` (or resolves, with `localOnly`) and the gate's `onError` hears about it; the
   * broker keeps retrying in the background either way. Also used as ioredis's per-attempt `connectTimeout`
   * for connections the broker creates, unless `redis.connectTimeout` is given.
   * @default 10000
   */
  connectTimeout?: number;
  /**
   * When Redis cannot be reached at start, run as a single node (local delivery only) instead of failing:
   * `ready()` resolves after `connectTimeout` rather than rejecting. The broker joins the other nodes once
   * Redis answers.
   * @default false
   */
  localOnly?: boolean;
  /**
   * Milliseconds `close()` waits for Redis to acknowledge `QUIT` (so publishes already sent are not cut
   * off) before it drops the connections.
   * @default 2000
   */
  closeTimeout?: number;
  /**
   * Milliseconds between this node's presence heartbeats. A node that stops (SIGKILL, a lost machine)
   * drops out of `gate.presence()` within 3 heartbeats, and its members' leaves are announced within 4.
   * @default 5000
   */
  presenceHeartbeat?: number;
}

/** The broker opens and owns its two connections (one publishes, one subscribes). */
export interface RedisBrokerUrlOptions extends RedisBrokerCommonOptions {
  /**
   * Where Redis is: `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS.
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string | undefined;
  /**
   * ioredis options for both connections (`tls`, `username`, `password`, `retryStrategy`, `family`, ...),
   * merged over what `url` says. The broker always sets `enableOfflineQueue`, `autoResubscribe`,
   * `autoResendUnfulfilledCommands` to false and `maxRetriesPerRequest` to 0: publishes are at-most-once,
   * and subscriptions are reconciled by the broker after a reconnect.
   * @default {}
   */
  redis?: RedisOptions;
  publisher?: never;
  subscriber?: never;
  cluster?: never;
  clusterOptions?: never;
}

/**
 * The caller owns the connections: the broker never closes them (it unsubscribes its own channels and
 * removes its listeners on `close()`). For strict at-most-once, create the publisher with
 * `autoResendUnfulfilledCommands: false`; the broker never queues a publish while it is not ready.
 */
export interface RedisBrokerConnectionOptions extends RedisBrokerCommonOptions {
  /** A connection for PUBLISH. It cannot be the subscriber: a subscribed connection can run nothing else. */
  publisher: Redis;
  /**
   * A connection the broker may put in subscriber mode; other channels on it are left alone.
   * @default publisher.duplicate() (owned, and closed, by the broker)
   */
  subscriber?: Redis;
  url?: never;
  redis?: never;
  cluster?: never;
  clusterOptions?: never;
}

/**
 * A Redis Cluster (Redis 7 or later): topics use sharded pub/sub (`SSUBSCRIBE`/`SPUBLISH`) and a topic's
 * channel and keys share the hash tag `{topic}`, so each topic lives on one shard and topics spread over
 * all of them. The broker opens two ioredis `Cluster` clients (one publishes and runs scripts, one
 * subscribes).
 */
export interface RedisBrokerClusterOptions extends RedisBrokerCommonOptions {
  /** Startup nodes: `{ host, port }` of some (or all) masters. */
  cluster: Array<{ host: string; port: number }>;
  /**
   * ioredis Cluster options for both clients, merged under what the broker sets (`enableOfflineQueue`
   * false, `shardedSubscribers` true for the subscriber, and the owned-connection settings of
   * {@link RedisBrokerUrlOptions.redis} in `redisOptions`).
   * @default {}
   */
  clusterOptions?: ClusterOptions;
  url?: undefined;
  redis?: undefined;
  publisher?: undefined;
  subscriber?: undefined;
}

/** Options of {@link redisBroker}: a URL (and ioredis options), connections the caller owns, or a cluster. */
export type RedisBrokerOptions =
  | RedisBrokerUrlOptions
  | RedisBrokerConnectionOptions
  | RedisBrokerClusterOptions;

/** The settings ioredis must have on connections the broker owns (see {@link RedisBrokerUrlOptions.redis}). */
export const OWNED_CONNECTION: Partial<RedisOptions> = {
  enableOfflineQueue: false,
  autoResubscribe: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 0,
  lazyConnect: false,
};

const KNOWN = new Set([
  'url',
  'redis',
  'publisher',
  'subscriber',
  'prefix',
  'connectTimeout',
  'localOnly',
  'closeTimeout',
  'presenceHeartbeat',
  'cluster',
  'clusterOptions',
]);

/** Validates options eagerly, with a TypeError that names the option. */
export function validateOptions(options: RedisBrokerOptions): void {
  if (options === null || typeof options !== 'object')
    throw new TypeError('wsgate/redis: options must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new TypeError(`wsgate/redis: unknown option '${key}'`);
  }
  const o = options as Record<string, unknown>;
  if (o.prefix !== undefined && typeof o.prefix !== 'string')
    throw new TypeError('wsgate/redis: prefix must be a string');
  for (const name of ['connectTimeout', 'closeTimeout', 'presenceHeartbeat']) {
    const v = o[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0))
      throw new TypeError(
        `wsgate/redis: ${name} must be a positive number of milliseconds, got ${String(v)}`,
      );
  }
  if (o.localOnly !== undefined && typeof o.localOnly !== 'boolean')
    throw new TypeError('wsgate/redis: localOnly must be a boolean');
  if (o.url !== undefined && (typeof o.url !== 'string' || !/^rediss?:\/\//.test(o.url)))
    throw new TypeError("wsgate/redis: url must start with 'redis://' or 'rediss://'");
  if (o.cluster !== undefined) {
    if (
      o.url !== undefined ||
      o.redis !== undefined ||
      o.publisher !== undefined ||
      o.subscriber !== undefined
    )
      throw new TypeError('wsgate/redis: pass cluster alone, not with url, redis, publisher or subscriber');
    if (!Array.isArray(o.cluster) || o.cluster.length === 0)
      throw new TypeError('wsgate/redis: cluster must be a non-empty array of { host, port }');
    const prefix = (o.prefix as string | undefined) ?? '';
    if (prefix.includes('{') || prefix.includes('}'))
      throw new TypeError(
        "wsgate/redis: on a cluster the prefix cannot contain '{' or '}' (the hash tag is the topic)",
      );
  }
  if (o.publisher !== undefined || o.subscriber !== undefined) {
    if (o.url !== undefined || o.redis !== undefined)
      throw new TypeError('wsgate/redis: pass either { url, redis } or { publisher, subscriber }, not both');
    if (!(o.publisher instanceof Redis))
      throw new TypeError('wsgate/redis: publisher must be an ioredis Redis');
    if (o.subscriber !== undefined && !(o.subscriber instanceof Redis))
      throw new TypeError('wsgate/redis: subscriber must be an ioredis Redis');
    if (o.subscriber === o.publisher)
      throw new TypeError(
        'wsgate/redis: publisher and subscriber must be different connections (try publisher.duplicate())',
      );
  }
}

/** The two connections, and whether the broker owns (and so closes) each. */
export interface Connections {
  publisher: Redis;
  subscriber: Redis;
  ownsPublisher: boolean;
  ownsSubscriber: boolean;
  /** A Redis Cluster (both clients are ioredis `Cluster`s, typed as Redis: they share its command API). */
  sharded: boolean;
}

/** Opens (or adopts) the connections the options describe. */
export function openConnections(options: RedisBrokerOptions, connectTimeout: number): Connections {
  if (options.cluster) {
    const base: ClusterOptions = {
      ...options.clusterOptions,
      enableOfflineQueue: false,
      redisOptions: { connectTimeout, ...options.clusterOptions?.redisOptions, ...OWNED_CONNECTION },
    };
    const open = (extra: ClusterOptions) =>
      new Cluster(options.cluster, { ...base, ...extra }) as unknown as Redis;
    return {
      publisher: open({}),
      subscriber: open({ shardedSubscribers: true }),
      ownsPublisher: true,
      ownsSubscriber: true,
      sharded: true,
    };
  }
  if (options.publisher) {
    const publisher = options.publisher;
    const subscriber = options.subscriber ?? publisher.duplicate(OWNED_CONNECTION);
    return {
      publisher,
      subscriber,
      ownsPublisher: false,
      ownsSubscriber: options.subscriber === undefined,
      sharded: false,
    };
  }
  const settings: RedisOptions = { connectTimeout, ...options.redis, ...OWNED_CONNECTION };
  const url = options.url ?? 'redis://127.0.0.1:6379';
  return {
    publisher: new Redis(url, settings),
    subscriber: new Redis(url, settings),
    ownsPublisher: true,
    ownsSubscriber: true,
    sharded: false,
  };
}

/** `host:port` (or the socket path) of a connection, never its credentials. */
export function describeTarget(conn: Redis): string {
  const cluster: unknown = conn;
  if (cluster instanceof Cluster) return `a Redis Cluster (${cluster.nodes('master').length} masters known)`;
  const o = conn.options;
  if (o.path) return o.path;
  return `${o.tls ? 'rediss' : 'redis'}://${o.host ?? '127.0.0.1'}:${o.port ?? 6379}`;
}
