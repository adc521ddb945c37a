import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Broker, BrokerContext } from '@wsgate/core';
import { BrokerConnections } from './connections.js';
import { Dispatcher } from './dispatch.js';
import { NODE_ID_BYTES } from './envelope.js';
import { RedisBrokerError } from './errors.js';
import { RedisHistory } from './history.js';
import { TopicKeys } from './keys.js';
import { openConnections, type RedisBrokerOptions, validateOptions } from './options.js';
import { RedisPresence } from './presence.js';
import { Publisher } from './publish.js';
import { Reporter } from './report.js';
import { type OnMessage, Subscriptions } from './subscriptions.js';

/**
 * Where the broker stands:
 * - `'connecting'`: not yet connected since it was created (`connectTimeout` has not passed);
 * - `'ready'`: both connections are up and Redis has acknowledged this node's subscriptions;
 * - `'down'`: Redis is unreachable (lost, or never reached within `connectTimeout`); publishes are dropped,
 *   local delivery goes on, and the broker keeps reconnecting;
 * - `'closed'`: `close()` was called.
 */
export type RedisBrokerStatus = 'connecting' | 'ready' | 'down' | 'closed';

/** Counters of a {@link RedisBroker}, since it was created. */
export interface RedisBrokerStats {
  /** Publishes Redis acknowledged. */
  published: number;
  /** Publishes never sent because Redis was not connected (at-most-once: they are not retried). */
  dropped: number;
  /** Publishes sent that failed (the connection dropped before Redis answered, or Redis refused). */
  failed: number;
  /** Messages from other nodes handed to the gate. */
  received: number;
  /** Messages on this node's channels that were not wsgate envelopes (ignored). */
  malformed: number;
  /** Times a working connection to Redis was lost. */
  outages: number;
}

/** Events of a {@link RedisBroker}. */
export interface RedisBrokerEvents {
  /** The status changed (see {@link RedisBrokerStatus}). */
  status: [status: RedisBrokerStatus];
}

/**
 * A wsgate {@link Broker} over Redis pub/sub: one channel per topic (`prefix + topic`), subscribed only while
 * a local session is in the topic. Delivery across nodes is at-most-once, or gap-free for topics with history
 * (Redis Streams, history.ts). Create it with {@link redisBroker}.
 */
export class RedisBroker extends EventEmitter<RedisBrokerEvents> implements Broker {
  /** This node's id (hex), carried by every message it publishes so it never delivers its own twice. */
  readonly nodeId: string;
  /** The channel prefix. */
  readonly prefix: string;
  readonly #connections: BrokerConnections;
  readonly #subs: Subscriptions;
  readonly #names: TopicKeys;
  readonly #presence: RedisPresence;
  readonly #publisher: Publisher;
  readonly #closeTimeout: number;
  readonly #stats: RedisBrokerStats = {
    published: 0,
    dropped: 0,
    failed: 0,
    received: 0,
    malformed: 0,
    outages: 0,
  };
  #ctx: BrokerContext | undefined;
  #closing: Promise<void> | undefined;

  /** Prefer {@link redisBroker}. */
  constructor(options: RedisBrokerOptions = {}) {
    super();
    validateOptions(options);
    this.prefix = options.prefix ?? 'wsgate:';
    this.#closeTimeout = options.closeTimeout ?? 2_000;
    const connectTimeout = options.connectTimeout ?? 10_000;
    const nodeId = randomBytes(NODE_ID_BYTES);
    this.nodeId = nodeId.toString('hex');
    const conns = openConnections(options, connectTimeout);
    const { publisher, subscriber, sharded } = conns;
    const reporter = new Reporter(() => this.#ctx);
    const report = (err: unknown): void => reporter.report(err);
    const stats = this.#stats;
    this.#subs = new Subscriptions(subscriber, report, sharded);
    this.#names = new TopicKeys(this.prefix, sharded);
    // History and presence only while the broker is 'ready': during an outage an append is refused at
    // once (not sent on a connection that may be half-dead), and the read-back follows the return.
    const ready = (): boolean => this.#connections.usable;
    const part = { conn: () => publisher, names: this.#names, nodeId, sharded, ready };
    this.history = new RedisHistory(part);
    this.#presence = new RedisPresence({ ...part, heartbeat: options.presenceHeartbeat ?? 5_000, report });
    const dispatcher = new Dispatcher({
      subs: this.#subs,
      nodeId,
      presence: this.#presence,
      stats,
      reporter,
    });
    this.#connections = new BrokerConnections(
      conns,
      {
        subs: this.#subs,
        history: this.history,
        stats,
        reporter,
        events: {
          status: (status) => this.emit('status', status),
          resync: () => this.#ctx?.resync?.(),
          message: dispatcher.receive,
        },
      },
      { connectTimeout, localOnly: options.localOnly ?? false },
    );
    this.#publisher = new Publisher(this.#connections, { names: this.#names, nodeId, stats, reporter });
    this.#connections.start(connectTimeout);
  }

  /** Where the broker stands now. */
  get status(): RedisBrokerStatus {
    return this.#connections.status;
  }

  /**
   * Settles once the broker first reaches Redis: resolves when both connections are up and subscriptions are
   * acknowledged. If that takes longer than `connectTimeout`, rejects with a {@link RedisBrokerError}
   * `ERR_WSGATE_REDIS_CONNECT` naming the address and the last connection error, or resolves anyway with
   * `localOnly` (check {@link RedisBroker.status}). Await it before listening to fail fast on a wrong URL;
   * not awaiting it is safe (the failure also goes to `onError`).
   */
  ready(): Promise<void> {
    return this.#connections.ready;
  }

  /** A snapshot of the counters. */
  stats(): RedisBrokerStats {
    return { ...this.#stats };
  }

  /** @internal Called by the gate. */
  init(ctx: BrokerContext): void {
    this.#ctx = ctx;
    this.#presence.init(ctx);
  }

  /** Topic history in Redis Streams (scripts.ts), next to pub/sub. */
  readonly history: RedisHistory;

  /** Presence in Redis hashes, with a node heartbeat so a dead node's members disappear (presence.ts). */
  get presence(): RedisPresence {
    return this.#presence;
  }

  /** @internal Called by the gate at subscribe and publish: a name Redis cannot carry is a TypeError. */
  checkTopic(topic: string): void {
    this.#names.check(topic);
  }

  /**
   * @internal Called by the gate when the first local session joins a topic; resolves once Redis has
   * acknowledged the SUBSCRIBE (after a reconnect, if Redis is down now).
   */
  subscribe(topic: string, onMessage: OnMessage): Promise<void> | undefined {
    if (this.#connections.status === 'closed') return undefined;
    return this.#subs.add(this.#names.channel(topic), onMessage);
  }

  /** @internal Called by the gate when the last local session leaves a topic. */
  unsubscribe(topic: string): void {
    if (this.#connections.status !== 'closed') this.#subs.remove(this.#names.channel(topic));
  }

  /**
   * Publishes to the topic's members on the other nodes. Never queued: while Redis is not connected the
   * message is dropped and counted (the gate has already delivered it to this node's sessions).
   */
  publish(topic: string, payload: Buffer | string, options: { binary: boolean }): void {
    this.#publisher.publish(topic, payload, options.binary);
  }

  /**
   * Stops the broker: caller-owned connections are left open (this node's channels are unsubscribed and
   * its listeners removed); its own connections send `QUIT` after what is already sent (waiting at most
   * `closeTimeout`) and are then dropped. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#connections.closing();
    this.#subs.close(
      new RedisBrokerError(
        'ERR_WSGATE_REDIS_SUBSCRIBE',
        'wsgate/redis: closed before Redis acknowledged the subscription',
      ),
    );
    this.#presence.stop();
    await this.#connections.close(this.#subs.asked, this.#closeTimeout);
  }
}

/**
 * Creates a {@link RedisBroker} for `createGate({ broker })` or any adapter's options. It connects at once;
 * `await broker.ready()` to fail fast when Redis is unreachable.
 *
 * @example
 * ```ts
 * const broker = redisBroker({ url: process.env.REDIS_URL, prefix: 'chat:' });
 * await broker.ready();
 * const gate = createGate({ broker });
 * ```
 */
export function redisBroker(options: RedisBrokerOptions = {}): RedisBroker {
  return new RedisBroker(options);
}
