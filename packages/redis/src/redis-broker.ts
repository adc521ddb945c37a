import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Broker, BrokerContext } from '@wsgate/core';
import type { Redis } from 'ioredis';
import { decodeEnvelope, encodeEnvelope, NODE_ID_BYTES } from './envelope.js';
import { RedisBrokerError, type RedisBrokerErrorCode } from './errors.js';
import { RedisHistory } from './history.js';
import { TopicKeys } from './keys.js';
import {
  type Connections,
  describeTarget,
  openConnections,
  type RedisBrokerOptions,
  validateOptions,
} from './options.js';
import { RedisPresence } from './presence.js';
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
 * Repeated failures of one kind are reported at most this often (an outage can drop thousands of publishes);
 * the clock restarts whenever the broker is ready again, so every outage reports its first drop.
 */
const REPORT_INTERVAL = 10_000;
const noop = (): void => {};
type Listener = Parameters<Redis['on']>[1];

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
  readonly #id: Buffer;
  readonly #conns: Connections;
  readonly #subs: Subscriptions;
  readonly #names: TopicKeys;
  readonly #presence: RedisPresence;
  readonly #localOnly: boolean;
  readonly #closeTimeout: number;
  readonly #stats: RedisBrokerStats = {
    published: 0,
    dropped: 0,
    failed: 0,
    received: 0,
    malformed: 0,
    outages: 0,
  };
  readonly #ready: Promise<void>;
  readonly #lastReport = new Map<RedisBrokerErrorCode, number>();
  readonly #listeners: Array<[Redis, string, Listener]> = [];
  #settleReady: ((err?: unknown) => void) | undefined;
  #ctx: BrokerContext | undefined;
  #status: RedisBrokerStatus = 'connecting';
  #lastError: unknown;
  #connectTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;

  /** Prefer {@link redisBroker}. */
  constructor(options: RedisBrokerOptions = {}) {
    super();
    validateOptions(options);
    this.prefix = options.prefix ?? 'wsgate:';
    this.#localOnly = options.localOnly ?? false;
    this.#closeTimeout = options.closeTimeout ?? 2_000;
    const connectTimeout = options.connectTimeout ?? 10_000;
    this.#id = randomBytes(NODE_ID_BYTES);
    this.nodeId = this.#id.toString('hex');
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#settleReady = (err) => (err === undefined ? resolve() : reject(err));
    });
    // Nobody has to await ready(): its rejection is also reported through onError, never unhandled.
    this.#ready.catch(noop);
    this.#conns = openConnections(options, connectTimeout);
    const { publisher, subscriber } = this.#conns;
    const { sharded } = this.#conns;
    this.#subs = new Subscriptions(subscriber, (err) => this.#report(err), sharded);
    this.#names = new TopicKeys(this.prefix, sharded);
    // History and presence only while the broker is 'ready': during an outage an append is refused at
    // once (not sent on a connection that may be half-dead), and the read-back follows the return.
    const ready = (): boolean => this.#status === 'ready' && publisher.status === 'ready';
    this.history = new RedisHistory({
      conn: () => publisher,
      names: this.#names,
      nodeId: this.#id,
      sharded,
      ready,
    });
    this.#presence = new RedisPresence({
      conn: () => publisher,
      names: this.#names,
      nodeId: this.#id,
      sharded,
      ready,
      heartbeat: options.presenceHeartbeat ?? 5_000,
      report: (err) => this.#report(err),
    });
    for (const conn of [publisher, subscriber]) {
      this.#listen(conn, 'error', (err: unknown) => {
        this.#lastError = err;
      });
      this.#listen(conn, 'close', () => {
        if (conn === subscriber) this.#subs.lost();
        this.#update();
      });
    }
    this.#listen(publisher, 'ready', () => {
      this.history.load(publisher, (err) => this.#report(err));
      this.#update();
    });
    // ioredis emits 'ready' before it re-sends a caller-owned connection's own subscriptions; reconcile after
    // that, so our UNSUBSCRIBE of a stale channel is applied after its re-SUBSCRIBE.
    this.#listen(subscriber, 'ready', () => queueMicrotask(() => this.#reconcile()));
    this.#listen(
      subscriber,
      sharded ? 'smessageBuffer' : 'messageBuffer',
      (channel: Buffer, message: Buffer) => this.#onMessage(channel, message),
    );
    // A cluster re-creates a shard's subscriber on its own (the broker sees no 'close'): once it has
    // re-subscribed, what that shard carried meanwhile is read back like after any reconnect.
    if (sharded)
      this.#listen(subscriber, 'subscribersReady', () => setImmediate(() => this.#ctx?.resync?.()));
    for (const conn of [publisher, subscriber]) if (conn.status === 'wait') conn.connect().catch(noop);
    if (publisher.status === 'ready') this.history.load(publisher, (err) => this.#report(err));
    if (subscriber.status === 'ready') queueMicrotask(() => this.#reconcile());
    this.#connectTimer = setTimeout(() => this.#connectTimedOut(connectTimeout), connectTimeout);
    this.#connectTimer.unref();
  }

  /** Where the broker stands now. */
  get status(): RedisBrokerStatus {
    return this.#status;
  }

  /**
   * Settles once the broker first reaches Redis: resolves when both connections are up and subscriptions are
   * acknowledged. If that takes longer than `connectTimeout`, rejects with a {@link RedisBrokerError}
   * `ERR_WSGATE_REDIS_CONNECT` naming the address and the last connection error, or resolves anyway with
   * `localOnly` (check {@link RedisBroker.status}). Await it before listening to fail fast on a wrong URL;
   * not awaiting it is safe (the failure also goes to `onError`).
   */
  ready(): Promise<void> {
    return this.#ready;
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
    if (this.#status === 'closed') return undefined;
    return this.#subs.add(this.#names.channel(topic), onMessage);
  }

  /** @internal Called by the gate when the last local session leaves a topic. */
  unsubscribe(topic: string): void {
    if (this.#status !== 'closed') this.#subs.remove(this.#names.channel(topic));
  }

  /**
   * Publishes to the topic's members on the other nodes. Never queued: while Redis is not connected the
   * message is dropped and counted (the gate has already delivered it to this node's sessions).
   */
  publish(topic: string, payload: Buffer | string, options: { binary: boolean }): void {
    if (this.#status === 'closed') return;
    const { publisher } = this.#conns;
    // 'down' drops even while the publisher's socket has not noticed the outage yet (the subscriber often
    // notices first): a publish then would fail anyway, uncounted as a drop and unreported.
    if (this.#status === 'down' || publisher.status !== 'ready') {
      this.#stats.dropped++;
      this.#reportThrottled(
        'ERR_WSGATE_REDIS_PUBLISH',
        `wsgate/redis: publish to '${topic}' dropped: not connected to ${describeTarget(publisher)} ` +
          `(at-most-once; ${this.#stats.dropped} dropped so far, counted in broker.stats().dropped)`,
      );
      return;
    }
    const message = encodeEnvelope(this.#id, payload, options.binary);
    const channel = this.#names.channel(topic);
    (this.#conns.sharded ? publisher.spublish(channel, message) : publisher.publish(channel, message)).then(
      () => {
        this.#stats.published++;
      },
      (err: unknown) => {
        this.#stats.failed++;
        // A publish cut off by a dropped connection is part of the outage, which is reported once.
        if (publisher.status !== 'ready') return;
        this.#reportThrottled(
          'ERR_WSGATE_REDIS_PUBLISH',
          `wsgate/redis: publish to '${topic}' failed: ${err instanceof Error ? err.message : String(err)}`,
          err,
        );
      },
    );
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
    clearTimeout(this.#connectTimer);
    this.#setStatus('closed');
    this.#subs.close(
      new RedisBrokerError(
        'ERR_WSGATE_REDIS_SUBSCRIBE',
        'wsgate/redis: closed before Redis acknowledged the subscription',
      ),
    );
    this.#presence.stop();
    this.#settleReady?.(
      new RedisBrokerError('ERR_WSGATE_REDIS_CONNECT', 'wsgate/redis: closed before Redis was reached'),
    );
    const { publisher, subscriber, ownsPublisher, ownsSubscriber } = this.#conns;
    const asked = this.#subs.asked;
    for (const [conn, event, fn] of this.#listeners) conn.off(event, fn);
    // Our own connections keep a silent 'error' listener: ioredis may still emit while quitting.
    if (ownsPublisher) publisher.on('error', noop);
    if (ownsSubscriber) subscriber.on('error', noop);
    else if (subscriber.status === 'ready' && asked.length > 0) subscriber.unsubscribe(...asked).catch(noop);
    // (A caller-owned subscriber is never a cluster: cluster clients are always the broker's own.)
    await Promise.all([
      ownsPublisher ? this.#quit(publisher) : undefined,
      ownsSubscriber ? this.#quit(subscriber) : undefined,
    ]);
  }

  async #quit(conn: Redis): Promise<void> {
    if (conn.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        conn.quit().catch(noop),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.#closeTimeout);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    }
    conn.disconnect();
  }

  #listen<TArgs extends unknown[]>(conn: Redis, event: string, fn: (...args: TArgs) => void): void {
    const listener = fn as unknown as Listener;
    conn.on(event, listener);
    this.#listeners.push([conn, event, listener]);
  }

  #reconcile(): void {
    if (this.#status === 'closed' || this.#conns.subscriber.status !== 'ready') return;
    this.#subs.reconcile().then(
      (confirmed) => {
        this.#update();
        // Whatever pub/sub carried while this connection was down is lost: history topics read it back.
        // The broker was already 'ready' (a subscriber that came back before anyone noticed it gone).
        if (confirmed && this.#status === 'ready') this.#ctx?.resync?.();
      },
      (err: unknown) => this.#report(err),
    );
  }

  #onMessage(channelBytes: Buffer, message: Buffer): void {
    // Runs inside ioredis's reply parser: nothing may throw out of here.
    try {
      const channel = channelBytes.toString();
      const deliver = this.#subs.handler(channel);
      if (!deliver) return;
      const envelope = decodeEnvelope(message);
      if (!envelope) {
        this.#stats.malformed++;
        this.#reportThrottled(
          'ERR_WSGATE_REDIS_MALFORMED',
          `wsgate/redis: ignored a message on '${channel}' that no wsgate node published ` +
            '(give each app its own prefix, and publish through gate.publish)',
        );
        return;
      }
      if (envelope.origin.equals(this.#id)) return;
      if (envelope.presence) {
        this.#presence.heard(channel, envelope.payload);
        return;
      }
      this.#stats.received++;
      const payload = envelope.binary ? envelope.payload : envelope.payload.toString('utf8');
      deliver(payload, envelope.binary, envelope.position);
    } catch (err) {
      this.#report(err);
    }
  }

  /** Recomputes the status from the connections. */
  #update(): void {
    if (this.#status === 'closed') return;
    const { publisher, subscriber } = this.#conns;
    const up = publisher.status === 'ready' && subscriber.status === 'ready' && this.#subs.confirmed;
    if (up) {
      if (this.#status === 'ready') return;
      clearTimeout(this.#connectTimer);
      this.#lastReport.clear();
      this.#setStatus('ready');
      // Back (or up for the first time): whatever pub/sub carried while a connection was down is lost, and
      // reads refused meanwhile are due: history topics read back from where their delivery stands.
      queueMicrotask(() => this.#ctx?.resync?.());
      this.#settleReady?.();
      this.#settleReady = undefined;
    } else if (this.#status === 'ready') {
      this.#stats.outages++;
      this.#setStatus('down');
      this.#report(
        new RedisBrokerError(
          'ERR_WSGATE_REDIS_DOWN',
          `wsgate/redis: lost the connection to ${describeTarget(publisher)}${lastErrorText(this.#lastError)}; ` +
            'publishes to other nodes are dropped and local delivery continues until it is back',
          { cause: this.#lastError },
        ),
      );
    }
  }

  #connectTimedOut(ms: number): void {
    if (this.#status !== 'connecting') return;
    this.#setStatus('down');
    const err = new RedisBrokerError(
      'ERR_WSGATE_REDIS_CONNECT',
      `wsgate/redis: could not reach Redis at ${describeTarget(this.#conns.publisher)} within ${ms} ms` +
        `${lastErrorText(this.#lastError)}; ${this.#localOnly ? 'running local-only, ' : ''}still retrying`,
      { cause: this.#lastError },
    );
    this.#report(err);
    this.#settleReady?.(this.#localOnly ? undefined : err);
    this.#settleReady = undefined;
  }

  #setStatus(status: RedisBrokerStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    this.emit('status', status);
  }

  #reportThrottled(code: RedisBrokerErrorCode, message: string, cause?: unknown): void {
    const now = Date.now();
    const last = this.#lastReport.get(code);
    if (last !== undefined && now - last < REPORT_INTERVAL) return;
    this.#lastReport.set(code, now);
    this.#report(new RedisBrokerError(code, message, { cause }));
  }

  #report(err: unknown): void {
    try {
      if (this.#ctx) this.#ctx.onError(err);
      else console.error('[wsgate/redis]', err);
    } catch {
      // An onError that throws must not break the broker.
    }
  }
}

function lastErrorText(err: unknown): string {
  return err instanceof Error && err.message ? ` (last error: ${err.message})` : '';
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
