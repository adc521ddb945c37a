import { broadcast } from './broadcast.js';
import type { Broker } from './broker.js';
import { sizeOfSendData } from './send-data.js';
import type { SendData, Session } from './session.js';
import type { StatsCounter } from './stats.js';

/**
 * Topic membership for one gate. The broker hears about a topic only when its first local member joins
 * and its last one leaves; a topic with no members has no entry at all.
 */
export class Topics {
  readonly #members = new Map<string, Set<Session<unknown>>>();
  /** Members as an array, rebuilt after a change: one array shared by consecutive publishes (broadcast.ts). */
  readonly #lists = new Map<string, Session<unknown>[]>();
  readonly #broker: Broker;
  readonly #stats: StatsCounter;
  readonly #onError: (err: unknown) => void;
  /** Telemetry hook (the gate's 'publish' event): a message was written to `count` local sessions. */
  onDelivered: ((topic: string, count: number) => void) | undefined;

  constructor(broker: Broker, stats: StatsCounter, onError: (err: unknown) => void) {
    this.#broker = broker;
    this.#stats = stats;
    this.#onError = onError;
  }

  get size(): number {
    return this.#members.size;
  }

  /** Local members of a topic (empty when none). */
  members(topic: string): ReadonlySet<Session<unknown>> {
    return this.#members.get(topic) ?? NONE;
  }

  join(topic: string, session: Session<unknown>): void {
    let set = this.#members.get(topic);
    if (!set) {
      set = new Set();
      this.#members.set(topic, set);
      this.#call(() =>
        this.#broker.subscribe(topic, (payload, binary) => this.deliver(topic, payload, binary)),
      );
    }
    set.add(session);
    this.#lists.delete(topic);
  }

  leave(topic: string, session: Session<unknown>): void {
    const set = this.#members.get(topic);
    if (!set?.delete(session)) return;
    this.#lists.delete(topic);
    if (set.size > 0) return;
    this.#members.delete(topic);
    this.#call(() => this.#broker.unsubscribe(topic));
  }

  /** Delivers to local members (except one) and hands the message to the broker for the other nodes. */
  publish(topic: string, data: SendData, except?: Session<unknown>): void {
    if (typeof topic !== 'string' || topic === '')
      throw new TypeError('wsgate: topic must be a non-empty string');
    const binary = typeof data !== 'string';
    if (binary) sizeOfSendData(data, 'publish()'); // a TypeError for what cannot be sent
    const payload = typeof data === 'string' ? data : toBuffer(data);
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
  ): void {
    const set = this.#members.get(topic);
    if (!set || set.size === 0 || (set.size === 1 && set.has(except as Session<unknown>))) return;
    const buf = typeof payload === 'string' ? Buffer.from(payload) : payload;
    // A snapshot: who was a member at publish time receives it, even if delivery continues next turn.
    let list = this.#lists.get(topic);
    if (!list) {
      list = [...set];
      this.#lists.set(topic, list);
    }
    const size = buf.length;
    broadcast(topic, list, {
      payload: buf,
      binary,
      borrowed,
      except,
      delivered: (count) => {
        this.#stats.sent(size, count);
        this.onDelivered?.(topic, count); // telemetry hook
      },
    });
  }

  #call(fn: () => void | Promise<void>): void {
    try {
      const result = fn();
      if (result && typeof result.then === 'function') result.then(undefined, this.#onError);
    } catch (err) {
      this.#onError(err);
    }
  }
}

const NONE: ReadonlySet<Session<unknown>> = new Set();

function toBuffer(data: Exclude<SendData, string>): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}
