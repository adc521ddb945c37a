import type { Redis } from 'ioredis';
import { RedisBrokerError } from './errors.js';
import type { RedisHistory } from './history.js';
import type { Connections } from './options.js';
import { describeTarget } from './options.js';
import type { RedisBrokerStats, RedisBrokerStatus } from './redis-broker.js';
import type { Reporter } from './report.js';
import type { Subscriptions } from './subscriptions.js';

const noop = (): void => {};
type Listener = Parameters<Redis['on']>[1];

/** What the broker's connections tell the rest of the broker. */
export interface ConnectionEvents {
  /** The status changed (the broker's `status` event). */
  status(status: RedisBrokerStatus): void;
  /** Whatever pub/sub carried while a connection was down is lost: history topics read it back. */
  resync(): void;
  /** A message on one of this node's channels (dispatch.ts). */
  message(channel: Buffer, message: Buffer): void;
}

/**
 * The broker's two connections (publisher and subscriber) and the status they add up to: `'ready'` when
 * both are up and Redis has acknowledged this node's subscriptions, `'down'` when one was lost (or never
 * came up within `connectTimeout`), `'closed'` after `close()`. It watches them, re-applies the
 * subscriptions after a reconnect, settles `ready()`, and quits the connections the broker owns.
 */
export class BrokerConnections {
  /** The connections themselves. */
  readonly conns: Connections;
  readonly #subs: Subscriptions;
  readonly #history: RedisHistory;
  readonly #stats: RedisBrokerStats;
  readonly #reporter: Reporter;
  readonly #events: ConnectionEvents;
  readonly #localOnly: boolean;
  readonly #ready: Promise<void>;
  readonly #listeners: Array<[Redis, string, Listener]> = [];
  #settleReady: ((err?: unknown) => void) | undefined;
  #status: RedisBrokerStatus = 'connecting';
  #lastError: unknown;
  #connectTimer: NodeJS.Timeout | undefined;

  constructor(
    conns: Connections,
    parts: {
      subs: Subscriptions;
      history: RedisHistory;
      stats: RedisBrokerStats;
      reporter: Reporter;
      events: ConnectionEvents;
    },
    timing: { connectTimeout: number; localOnly: boolean },
  ) {
    this.conns = conns;
    this.#subs = parts.subs;
    this.#history = parts.history;
    this.#stats = parts.stats;
    this.#reporter = parts.reporter;
    this.#events = parts.events;
    this.#localOnly = timing.localOnly;
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#settleReady = (err) => (err === undefined ? resolve() : reject(err));
    });
    // Nobody has to await ready(): its rejection is also reported through onError, never unhandled.
    this.#ready.catch(noop);
  }

  /** Starts watching and connecting (after the rest of the broker exists: events may come at once). */
  start(connectTimeout: number): void {
    const { publisher, subscriber, sharded } = this.conns;
    const report = (err: unknown): void => this.#reporter.report(err);
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
      this.#history.load(publisher, report);
      this.#update();
    });
    // ioredis emits 'ready' before it re-sends a caller-owned connection's own subscriptions; reconcile after
    // that, so our UNSUBSCRIBE of a stale channel is applied after its re-SUBSCRIBE.
    this.#listen(subscriber, 'ready', () => queueMicrotask(() => this.#reconcile()));
    this.#listen(subscriber, sharded ? 'smessageBuffer' : 'messageBuffer', this.#events.message);
    // A cluster re-creates a shard's subscriber on its own (the broker sees no 'close'): once it has
    // re-subscribed, what that shard carried meanwhile is read back like after any reconnect.
    if (sharded) this.#listen(subscriber, 'subscribersReady', () => setImmediate(this.#events.resync));
    for (const conn of [publisher, subscriber]) if (conn.status === 'wait') conn.connect().catch(noop);
    if (publisher.status === 'ready') this.#history.load(publisher, report);
    if (subscriber.status === 'ready') queueMicrotask(() => this.#reconcile());
    this.#connectTimer = setTimeout(() => this.#connectTimedOut(connectTimeout), connectTimeout);
    this.#connectTimer.unref();
  }

  get status(): RedisBrokerStatus {
    return this.#status;
  }

  /** See `RedisBroker.ready`. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** Whether commands may go to Redis now (history and presence refuse at once during an outage). */
  get usable(): boolean {
    return this.#status === 'ready' && this.conns.publisher.status === 'ready';
  }

  /** `close()` began: the status is `'closed'` from now on. */
  closing(): void {
    clearTimeout(this.#connectTimer);
    this.#setStatus('closed');
  }

  /**
   * Ends it: `ready()` rejects if still pending, our listeners go; a caller-owned subscriber unsubscribes
   * `asked`, and the broker's own connections send `QUIT` after what is already sent (waiting at most
   * `closeTimeout`) and are then dropped.
   */
  async close(asked: readonly string[], closeTimeout: number): Promise<void> {
    this.#settleReady?.(
      new RedisBrokerError('ERR_WSGATE_REDIS_CONNECT', 'wsgate/redis: closed before Redis was reached'),
    );
    const { publisher, subscriber, ownsPublisher, ownsSubscriber } = this.conns;
    for (const [conn, event, fn] of this.#listeners) conn.off(event, fn);
    // Our own connections keep a silent 'error' listener: ioredis may still emit while quitting.
    if (ownsPublisher) publisher.on('error', noop);
    if (ownsSubscriber) subscriber.on('error', noop);
    else if (subscriber.status === 'ready' && asked.length > 0) subscriber.unsubscribe(...asked).catch(noop);
    // (A caller-owned subscriber is never a cluster: cluster clients are always the broker's own.)
    await Promise.all([
      ownsPublisher ? quit(publisher, closeTimeout) : undefined,
      ownsSubscriber ? quit(subscriber, closeTimeout) : undefined,
    ]);
  }

  #listen<TArgs extends unknown[]>(conn: Redis, event: string, fn: (...args: TArgs) => void): void {
    const listener = fn as unknown as Listener;
    conn.on(event, listener);
    this.#listeners.push([conn, event, listener]);
  }

  #reconcile(): void {
    if (this.#status === 'closed' || this.conns.subscriber.status !== 'ready') return;
    this.#subs.reconcile().then(
      (confirmed) => {
        this.#update();
        // Whatever pub/sub carried while this connection was down is lost: history topics read it back.
        // The broker was already 'ready' (a subscriber that came back before anyone noticed it gone).
        if (confirmed && this.#status === 'ready') this.#events.resync();
      },
      (err: unknown) => this.#reporter.report(err),
    );
  }

  /** Recomputes the status from the connections. */
  #update(): void {
    if (this.#status === 'closed') return;
    const { publisher, subscriber } = this.conns;
    const up = publisher.status === 'ready' && subscriber.status === 'ready' && this.#subs.confirmed;
    if (up) {
      if (this.#status === 'ready') return;
      clearTimeout(this.#connectTimer);
      this.#reporter.restart();
      this.#setStatus('ready');
      // Back (or up for the first time): whatever pub/sub carried while a connection was down is lost, and
      // reads refused meanwhile are due: history topics read back from where their delivery stands.
      queueMicrotask(this.#events.resync);
      this.#settleReady?.();
      this.#settleReady = undefined;
    } else if (this.#status === 'ready') {
      this.#stats.outages++;
      this.#setStatus('down');
      this.#reporter.report(
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
      `wsgate/redis: could not reach Redis at ${describeTarget(this.conns.publisher)} within ${ms} ms` +
        `${lastErrorText(this.#lastError)}; ${this.#localOnly ? 'running local-only, ' : ''}still retrying`,
      { cause: this.#lastError },
    );
    this.#reporter.report(err);
    this.#settleReady?.(this.#localOnly ? undefined : err);
    this.#settleReady = undefined;
  }

  #setStatus(status: RedisBrokerStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    this.#events.status(status);
  }
}

async function quit(conn: Redis, closeTimeout: number): Promise<void> {
  if (conn.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      conn.quit().catch(noop),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, closeTimeout);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }
  conn.disconnect();
}

function lastErrorText(err: unknown): string {
  return err instanceof Error && err.message ? ` (last error: ${err.message})` : '';
}
