import type { OnBrokerMessage } from '@wsgate/core';
import type { Redis } from 'ioredis';
import { RedisBrokerError } from './errors.js';

/** What core hands the broker for a topic's messages from other nodes. */
export type OnMessage = OnBrokerMessage;

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

/** Channels per SUBSCRIBE command when a reconnect re-subscribes everything (keeps each command small). */
const CHUNK = 500;

/**
 * The channels this node wants, and what the subscriber connection was asked for. While the connection
 * is up, every join and leave is sent at once; while it is down nothing is sent, and on the next `ready`
 * {@link Subscriptions.reconcile} makes Redis match the channels wanted *now*. ioredis's own
 * `autoResubscribe` is not used: it replays the set from the moment of the disconnect, so it would
 * re-subscribe topics whose last member left during the outage, and it cannot know about topics first
 * joined while the connection was down (our offline queue is off).
 */
export class Subscriptions {
  readonly #conn: Redis;
  readonly #report: (err: unknown) => void;
  readonly #wanted = new Map<string, OnMessage>();
  /** Channels Redis may hold for us: added when SUBSCRIBE is sent, removed only when UNSUBSCRIBE is acknowledged. */
  readonly #asked = new Set<string>();
  /** Joins waiting for Redis to acknowledge their channel. */
  readonly #waiters = new Map<string, Waiter[]>();
  /** Whether joins and leaves may be sent directly (the connection is up and has been reconciled). */
  #live = false;
  /** Whether the last reconcile has been acknowledged by Redis. */
  #confirmed = false;
  #generation = 0;

  /** Sharded pub/sub (Redis Cluster): SSUBSCRIBE, one channel per command (a command's channels share a slot). */
  readonly #sharded: boolean;

  constructor(conn: Redis, report: (err: unknown) => void, sharded = false) {
    this.#conn = conn;
    this.#report = report;
    this.#sharded = sharded;
  }

  #send(subscribe: boolean, channels: string[]): Promise<unknown> {
    if (!this.#sharded)
      return subscribe ? this.#conn.subscribe(...channels) : this.#conn.unsubscribe(...channels);
    return Promise.all(channels.map((c) => this.#sharded1(subscribe, c, 5)));
  }

  /**
   * One SSUBSCRIBE/SUNSUBSCRIBE. ioredis starts a sharded subscriber per master only after it has learnt the
   * slots (and again after a topology change); a command sent in between is refused with "No sharded
   * subscriber for slot". That is a race, not a refusal: wait for its `subscribersReady` (bounded) and retry.
   */
  #sharded1(subscribe: boolean, channel: string, tries: number): Promise<unknown> {
    const sent = subscribe ? this.#conn.ssubscribe(channel) : this.#conn.sunsubscribe(channel);
    return sent.catch((err: unknown) => {
      if (tries <= 1 || !String((err as Error)?.message).includes('No sharded subscriber')) throw err;
      return subscribersReady(this.#conn, 2_000).then(() => this.#sharded1(subscribe, channel, tries - 1));
    });
  }

  /** Whether Redis has acknowledged the subscriptions of the current connection. */
  get confirmed(): boolean {
    return this.#confirmed;
  }

  /** Channels Redis may hold for this node (what `close()` unsubscribes on a caller-owned connection). */
  get asked(): readonly string[] {
    return [...this.#asked];
  }

  /** The handler for a channel this node wants, if any. */
  handler(channel: string): OnMessage | undefined {
    return this.#wanted.get(channel);
  }

  /** Resolves once Redis has acknowledged the channel (now, or after the next reconnect). */
  add(channel: string, onMessage: OnMessage): Promise<void> {
    const had = this.#wanted.has(channel);
    this.#wanted.set(channel, onMessage);
    const acked = new Promise<void>((resolve, reject) => {
      const list = this.#waiters.get(channel);
      if (list) list.push({ resolve, reject });
      else this.#waiters.set(channel, [{ resolve, reject }]);
    });
    if (!had && this.#live) this.#subscribe([channel]);
    else if (had && this.#confirmed && this.#asked.has(channel)) this.#settle([channel]);
    return acked;
  }

  remove(channel: string): void {
    this.#settle([channel]); // nobody waits for a channel no longer wanted
    if (this.#wanted.delete(channel) && this.#live) this.#unsubscribe([channel]);
  }

  /** The broker closed: joins still waiting fail. */
  close(err: unknown): void {
    for (const list of this.#waiters.values()) for (const w of list) w.reject(err);
    this.#waiters.clear();
  }

  #settle(channels: readonly string[], err?: unknown): void {
    for (const c of channels) {
      const list = this.#waiters.get(c);
      if (!list) continue;
      this.#waiters.delete(c);
      for (const w of list) err === undefined ? w.resolve() : w.reject(err);
    }
  }

  /** The connection dropped: stop sending until the next reconcile. */
  lost(): void {
    this.#live = false;
    this.#confirmed = false;
    this.#generation++;
  }

  /**
   * Makes the connection's subscriptions match the wanted channels. Resolves true once Redis has
   * acknowledged them (false if the connection dropped meanwhile or Redis refused).
   */
  async reconcile(): Promise<boolean> {
    const generation = ++this.#generation;
    // Live before the commands are acknowledged: a join or leave from now on is sent after them on the
    // same connection, and Redis applies commands of one connection in order.
    this.#live = true;
    const stale = [...this.#asked].filter((c) => !this.#wanted.has(c));
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < stale.length; i += CHUNK) jobs.push(this.#unsubscribeAll(stale.slice(i, i + CHUNK)));
    const wanted = [...this.#wanted.keys()];
    for (let i = 0; i < wanted.length; i += CHUNK) {
      const chunk = wanted.slice(i, i + CHUNK);
      for (const c of chunk) this.#asked.add(c);
      jobs.push(this.#send(true, chunk));
    }
    try {
      await Promise.all(jobs);
    } catch (err) {
      if (generation === this.#generation && this.#conn.status === 'ready') {
        const refused = subscribeError(err);
        this.#report(refused);
        this.#settle(wanted, refused);
      }
      return false;
    }
    if (generation !== this.#generation) return false;
    this.#confirmed = true;
    this.#settle(wanted);
    return true;
  }

  #subscribe(channels: string[]): void {
    for (const c of channels) this.#asked.add(c);
    this.#send(true, channels).then(
      () => this.#settle(channels),
      (err: unknown) => {
        // A dropped connection is reported as an outage, and the next reconcile subscribes again.
        if (this.#conn.status !== 'ready') return;
        const refused = subscribeError(err);
        this.#report(refused);
        this.#settle(channels, refused);
      },
    );
  }

  #unsubscribe(channels: string[]): void {
    this.#unsubscribeAll(channels).then(undefined, (err: unknown) => {
      if (this.#conn.status === 'ready') this.#report(subscribeError(err));
    });
  }

  async #unsubscribeAll(channels: string[]): Promise<void> {
    await this.#send(false, channels);
    // Forget a channel only once Redis has confirmed, and only if nobody re-joined it meanwhile.
    for (const c of channels) if (!this.#wanted.has(c)) this.#asked.delete(c);
  }
}

function subscribeError(err: unknown): RedisBrokerError {
  const message = err instanceof Error ? err.message : String(err);
  return new RedisBrokerError(
    'ERR_WSGATE_REDIS_SUBSCRIBE',
    `wsgate/redis: Redis refused a subscription: ${message}`,
    {
      cause: err,
    },
  );
}

/** Resolves on the cluster's next `subscribersReady`, or after `ms` (then the caller simply tries again). */
function subscribersReady(conn: Redis, ms: number): Promise<void> {
  const emitter = conn as unknown as NodeJS.EventEmitter & { refreshSlotsCache?(cb?: () => void): void };
  return new Promise<void>((resolve) => {
    // The slot map ioredis built its subscribers from may predate the cluster's last slot assignment (a
    // cluster that just formed): refresh it now rather than at the next periodic refresh; a changed map
    // rebuilds the subscribers and emits subscribersReady.
    emitter.refreshSlotsCache?.();
    const done = () => {
      clearTimeout(timer);
      emitter.off('subscribersReady', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    emitter.on('subscribersReady', done);
  });
}
