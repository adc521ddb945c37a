import type { Broker, BrokerHistory, HistoryReply, OnBrokerMessage } from './broker.js';
import {
  compileHistory,
  type HistoryPage,
  type HistoryPolicy,
  type Position,
  type ResetInfo,
  type Retention,
} from './positions.js';
import { type Entry, Sequencer } from './sequencer.js';

/** What topic history needs from the gate's topics. */
export interface HistoryHost {
  /** Delivers a message to the topic's local members, in order (the sequencer has ordered it). */
  deliver(topic: string, entry: Entry, position: Position): void;
  /** The topic's local members missed messages that cannot be replayed. */
  reset(topic: string, info: ResetInfo): void;
  onError(err: unknown): void;
}

/** Messages {@link TopicHistory.read} returns at most, whatever `limit` says. */
export const MAX_READ = 1_000;

/**
 * The topics with history of one gate: offsets are assigned by the broker's append, and each subscribed
 * topic's messages reach local sessions through its {@link Sequencer}, own publishes included, so a node
 * delivers every message once, in offset order, filling gaps from the history.
 */
export class TopicHistory {
  readonly #broker: BrokerHistory;
  readonly #retentionOf: (topic: string) => Retention | undefined;
  readonly #host: HistoryHost;
  readonly #open = new Map<string, { sequencer: Sequencer; retention: Retention }>();

  /** Undefined when the gate has no `history` option; a TypeError when the broker cannot keep history. */
  static create(
    broker: Broker,
    policy: HistoryPolicy | undefined,
    host: HistoryHost,
  ): TopicHistory | undefined {
    const retentionOf = compileHistory(policy);
    if (!retentionOf) return undefined;
    const h = broker.history;
    if (!h || typeof h.append !== 'function' || typeof h.read !== 'function')
      throw new TypeError(
        'wsgate: the history option needs a broker with history (memoryBroker, redisBroker); this broker has none',
      );
    return new TopicHistory(h, retentionOf, host);
  }

  private constructor(
    broker: BrokerHistory,
    retentionOf: (topic: string) => Retention | undefined,
    host: HistoryHost,
  ) {
    this.#broker = broker;
    this.#retentionOf = retentionOf;
    this.#host = host;
  }

  /** The topic's retention, or undefined when it has no history. */
  retention(topic: string): Retention | undefined {
    return this.#open.get(topic)?.retention ?? this.#retentionOf(topic);
  }

  /**
   * Starts ordered delivery of a topic this node now subscribes to. Returns the broker's `onMessage` and
   * `start`, which reads the starting point once the broker's subscription is live.
   */
  open(topic: string, retention: Retention): { onMessage: OnBrokerMessage; start: () => Promise<void> } {
    const sequencer = new Sequencer({
      read: (after, limit) => Promise.resolve(this.#broker.read(topic, { after, limit, retention })),
      deliver: (entry, position) => this.#host.deliver(topic, entry, position),
      reset: (info) => this.#host.reset(topic, info),
      onError: this.#host.onError,
    });
    this.#open.set(topic, { sequencer, retention });
    return {
      onMessage: (payload, binary, position) => {
        if (position) sequencer.receive(position, { offset: position.offset, payload, binary });
        // A message without a position comes from a node with no history for this topic (mixed settings).
        else this.#host.deliver(topic, { offset: 0, payload, binary }, { epoch: '', offset: 0 });
      },
      start: () => sequencer.start(),
    };
  }

  /** The last local member left. */
  close(topic: string): void {
    this.#open.get(topic)?.sequencer.stop();
    this.#open.delete(topic);
  }

  /** The position last delivered to this node's sessions, if the topic is subscribed here. */
  position(topic: string): Position | undefined {
    return this.#open.get(topic)?.sequencer.position;
  }

  /**
   * Appends a message; once its offset is known it reaches local members through the sequencer. The
   * payload must be the gate's own (copied from the publisher's Buffer), as the append may be async.
   */
  publish(
    topic: string,
    payload: Buffer | string,
    binary: boolean,
    except: unknown,
    retention: Retention,
  ): void {
    const deliver = (position: Position): void => {
      this.#open
        .get(topic)
        ?.sequencer.receive(position, { offset: position.offset, payload, binary, except });
    };
    const result = this.#broker.append(topic, payload, { binary, retention });
    if (isPromise(result)) result.then(deliver, this.#host.onError);
    else deliver(result);
  }

  /** Every subscribed topic re-reads what may have been lost. */
  resync(): void {
    for (const { sequencer } of this.#open.values()) sequencer.resync();
  }

  /** Reads a topic's history after a position (see {@link HistoryPage}). */
  async read(
    topic: string,
    retention: Retention,
    options: { after?: Position | undefined; limit?: number | undefined },
  ): Promise<HistoryPage> {
    const { after } = options;
    const limit = Math.min(options.limit ?? retention.size, MAX_READ);
    let reply: HistoryReply = await this.#broker.read(topic, { after: after?.offset, limit, retention });
    if (after === undefined) return { ...reply, reset: false };
    if (reply.epoch !== after.epoch) {
      // Another epoch: the offsets of `after` mean nothing in it; the whole kept history follows.
      reply = await this.#broker.read(topic, { after: undefined, limit, retention });
      return { ...reply, reset: true };
    }
    const first = reply.messages[0]?.offset ?? reply.offset + 1;
    const reset = after.offset > reply.offset || (reply.offset > after.offset && first > after.offset + 1);
    return { ...reply, reset };
  }
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

/**
 * `gate.history()`: checks the arguments (a TypeError naming what is wrong, a topic without history
 * included), then reads the page.
 */
export function readHistory(
  history: TopicHistory | undefined,
  topic: string,
  options: { after?: Position | undefined; limit?: number | undefined },
): Promise<HistoryPage> {
  const retention = history?.retention(topic);
  if (!history || !retention)
    throw new TypeError(`wsgate: topic '${topic}' has no history (see the history option)`);
  const { after, limit } = options;
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0))
    throw new TypeError(`wsgate: history limit must be a non-negative integer, got ${String(limit)}`);
  if (
    after !== undefined &&
    (typeof after !== 'object' || typeof after.epoch !== 'string' || !Number.isSafeInteger(after.offset))
  )
    throw new TypeError('wsgate: history after must be a position { epoch, offset }');
  return history.read(topic, retention, options);
}
