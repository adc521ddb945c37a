import type { TopicSource } from '../protocol/topic-streams.js';
import { sizeOfSendData } from '../session/send-data.js';
import type { SendData, Session } from '../session/session.js';
import type { StatsCounter } from '../stats.js';
import { Broadcaster } from './broadcast.js';
import type { Broker } from './broker.js';
import { TopicHistory } from './history.js';
import type { HistoryPolicy, Position, ResetInfo } from './positions.js';
import { TopicPresence } from './presence.js';
import { checkTopic } from './topic-name.js';

/** What a session may ask for when it joins a topic. */
export interface JoinOptions {
  /** Show the session in the topic's presence with this small JSON value. */
  presence?: unknown;
}

/** Continuity settings of the gate (history, and whom to tell about resets). */
export interface TopicsContinuity {
  history: HistoryPolicy | undefined;
  /** A topic with history skipped messages it could not replay (after local members were told). */
  onReset(topic: string, info: ResetInfo): void;
}

/**
 * Topic membership for one gate. The broker hears about a topic only when its first local member joins
 * and its last one leaves; a topic with no members has no entry at all. Topics with history go through
 * {@link TopicHistory} (ordered, gap-free delivery); the others are delivered at once, as before.
 */
export class Topics {
  readonly #members = new Map<string, Set<Session<unknown>>>();
  /** Members as an array, rebuilt after a change: one array shared by consecutive publishes (broadcast.ts). */
  readonly #lists = new Map<string, Session<unknown>[]>();
  /** Broker subscriptions not yet acknowledged, which joining sessions wait for. */
  readonly #pending = new Map<string, Promise<void>>();
  readonly #broker: Broker;
  readonly #stats: StatsCounter;
  readonly #onError: (err: unknown) => void;
  readonly #history: TopicHistory | undefined;
  /** This gate's broadcast queues: gates in one process share none. */
  readonly #broadcaster = new Broadcaster((topic, size, count) => {
    this.#stats.sent(size, count);
    this.onDelivered?.(topic, count); // telemetry hook
  });
  /** @internal */ readonly presence: TopicPresence;
  /** Telemetry hook (the gate's 'publish' event): a message was written to `count` local sessions. */
  onDelivered: ((topic: string, count: number) => void) | undefined;

  constructor(
    broker: Broker,
    stats: StatsCounter,
    onError: (err: unknown) => void,
    continuity?: TopicsContinuity,
  ) {
    this.#broker = broker;
    this.#stats = stats;
    this.#onError = onError;
    this.presence = new TopicPresence(broker);
    this.#history = TopicHistory.create(broker, continuity?.history, {
      deliver: (topic, entry, position) =>
        this.#deliver(topic, entry.payload, entry.binary, entry.except as Session<unknown>, false, position),
      reset: (topic, info) => {
        for (const s of this.members(topic)) s._reset(topic, info);
        continuity?.onReset(topic, info);
      },
      onError,
    });
  }

  get size(): number {
    return this.#members.size;
  }

  /** @internal The topic history of this gate (undefined without the `history` option). */
  get history(): TopicHistory | undefined {
    return this.#history;
  }

  /** Local members of a topic (empty when none). */
  members(topic: string): ReadonlySet<Session<unknown>> {
    return this.#members.get(topic) ?? NONE;
  }

  /**
   * Adds a member (again: only its presence changes). Returns a promise while the topic is not yet live on
   * the broker (or presence not yet registered); it rejects only when that failed, which `onError` hears.
   */
  join(topic: string, session: Session<unknown>, options?: JoinOptions): Promise<void> | undefined {
    checkTopic(topic, this.#broker);
    let set = this.#members.get(topic);
    let ready = this.#pending.get(topic);
    const shown =
      options?.presence === undefined ? undefined : this.presence.join(topic, session, options.presence);
    if (!set) {
      set = new Set();
      this.#members.set(topic, set);
      ready = this.#subscribe(topic);
    }
    if (!set.has(session)) {
      set.add(session);
      this.#lists.delete(topic);
      // Its direct writes settle this gate's pending broadcasts first (session/topic-membership.ts).
      session._broadcasts = this.#broadcaster;
    }
    if (!shown) return ready;
    const registered = this.#watch(shown);
    if (!ready || !registered) return ready ?? registered;
    // Both failures already reach onError through their own watch.
    const both = Promise.all([ready, registered]).then(noop);
    both.catch(noop);
    return both;
  }

  leave(topic: string, session: Session<unknown>): void {
    const set = this.#members.get(topic);
    if (!set?.delete(session)) return;
    this.#call(() => this.presence.leave(topic, session));
    this.#lists.delete(topic);
    if (set.size > 0) return;
    this.#members.delete(topic);
    this.#pending.delete(topic);
    this.#history?.close(topic);
    this.#call(() => this.#broker.unsubscribe(topic));
  }

  /**
   * What resume (protocol/topic-streams.ts) reads of a topic a wsgate.v1 session joined: its history after
   * a position, and the position this node delivered last once pending deliveries went out.
   */
  source(topic: string, ready: Promise<void> | undefined): TopicSource {
    const history = this.#history;
    const retention = history?.retention(topic);
    return {
      ready,
      hasHistory: retention !== undefined,
      history: (after) => history!.read(topic, retention!, { after }),
      settle: () => {
        if (this.#broadcaster.pendingFor(topic)) this.#broadcaster.settle();
        return history?.position(topic);
      },
    };
  }

  /** Delivers to local members (except one) and hands the message to the broker for the other nodes. */
  publish(topic: string, data: SendData, except?: Session<unknown>): void {
    checkTopic(topic, this.#broker);
    const binary = typeof data !== 'string';
    if (binary) sizeOfSendData(data, 'publish()'); // a TypeError for what cannot be sent
    const payload = typeof data === 'string' ? data : toBuffer(data);
    const retention = this.#history?.retention(topic);
    if (retention) {
      // Delivered once the offset is known, maybe on a later turn: the message needs its own bytes.
      const own = typeof payload === 'string' ? payload : Buffer.from(payload);
      this.#call(() => this.#history!.publish(topic, own, binary, except, retention));
      return;
    }
    // The caller's Buffer: local delivery copies what it writes later; the broker uses it during the call.
    this.#deliver(topic, payload, binary, except, binary);
    this.#call(() => this.#broker.publish(topic, payload, { binary }));
  }

  /** Local delivery of a message from the broker (its payload is the gate's to keep, see {@link Broker}). */
  deliver(topic: string, payload: Buffer | string, binary: boolean): void {
    this.#deliver(topic, payload, binary, undefined, false);
  }

  /** Frames once, writes the same bytes to each member, spread over turns (broadcast.ts). */
  #deliver(
    topic: string,
    payload: Buffer | string,
    binary: boolean,
    except: Session<unknown> | undefined,
    borrowed: boolean,
    position?: Position,
  ): void {
    const set = this.#members.get(topic);
    if (!set || set.size === 0 || (set.size === 1 && set.has(except as Session<unknown>))) return;
    // A snapshot: who was a member at publish time receives it, even if delivery continues next turn.
    let list = this.#lists.get(topic);
    if (!list) {
      list = [...set];
      this.#lists.set(topic, list);
    }
    this.#broadcaster.broadcast(topic, list, { payload, binary, borrowed, except, position });
  }

  /** Subscribes on the broker; for a topic with history, then reads where ordered delivery starts. */
  #subscribe(topic: string): Promise<void> | undefined {
    const retention = this.#history?.retention(topic);
    if (!retention) {
      const result = this.#call(() =>
        this.#broker.subscribe(topic, (payload, binary) => this.deliver(topic, payload, binary)),
      );
      return result ? this.#track(topic, result) : undefined;
    }
    const { onMessage, start } = this.#history!.open(topic, retention);
    const subscribed = this.#call(() => this.#broker.subscribe(topic, onMessage)) ?? Promise.resolve();
    return this.#track(topic, subscribed.then(start));
  }

  /** Keeps a subscription's promise for later joiners until it settles. */
  #track(topic: string, promise: Promise<void>): Promise<void> {
    // Its failure already went to onError (#call); joiners who await it still see it reject.
    const watched = promise;
    watched.catch(noop);
    this.#pending.set(topic, watched);
    const done = (): void => {
      if (this.#pending.get(topic) === watched) this.#pending.delete(topic);
    };
    watched.then(done, done);
    return watched;
  }

  /** A promise whose failure reaches `onError` and is never unhandled, yet still rejects for who awaits it. */
  #watch(result: void | Promise<void>): Promise<void> | undefined {
    if (!isThenable(result)) return undefined;
    result.then(undefined, this.#onError);
    return result;
  }

  /** Runs a broker call; a throw becomes a rejected (and reported) promise, a promise is watched. */
  #call(fn: () => void | Promise<void>): Promise<void> | undefined {
    try {
      return this.#watch(fn());
    } catch (err) {
      this.#onError(err);
      const failed = Promise.reject(err);
      failed.catch(noop);
      return failed;
    }
  }
}

const NONE: ReadonlySet<Session<unknown>> = new Set();
const noop = (): void => {};

function isThenable(value: unknown): value is Promise<void> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

function toBuffer(data: Exclude<SendData, string>): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}
