import type { Message, Session } from './session.js';

/**
 * Messages a consumer has not taken yet: the session's queue (before the handler is ready, and held for the
 * next consumer after a loop stopped) and each iterator's buffer. They share one bound per session
 * ({@link Session._hold}): `limits.inbound` bytes and {@link QUEUE_MESSAGES} messages, reached by any mix
 * of them, pause the socket.
 */

/** How many unconsumed messages make wsgate pause the socket, whatever their size (each costs memory). */
export const QUEUE_MESSAGES = 256;

/** The bytes a received message counts for against `limits.inbound`: its UTF-8 size bounds its memory. */
export function inboundSize(m: Message): number {
  if (typeof m === 'string') return Buffer.byteLength(m);
  if (Buffer.isBuffer(m)) return m.length;
  // A contract's validated value (an object parsed from JSON): the size of the frame it came from.
  return typeof m === 'object' && m !== null ? (valueSizes.get(m) ?? 0) : 0;
}

/** Frame sizes of validated values (contracts), so they count against the bound as their frames did. */
const valueSizes = new WeakMap<object, number>();

/** Records what a delivered value counts for and returns it (see {@link inboundSize}). */
export function recordSize(value: unknown, size: number): number {
  if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) valueSizes.set(value, size);
  return inboundSize(value as Message);
}

/** Puts `front` before the queue's contents, in place (a delivery in progress may be shifting from it). */
export function prepend(queue: Message[], front: readonly Message[]): void {
  const n = front.length;
  if (n === 0) return;
  const length = queue.length;
  queue.length = length + n;
  for (let i = length - 1; i >= 0; i--) queue[i + n] = queue[i]!;
  for (let i = 0; i < n; i++) queue[i] = front[i]!;
}

/**
 * `for await (const message of session)`: buffers what the loop has not consumed yet, pausing the socket;
 * on `return()` (a `break`) hands what is left back to the session ({@link Session._unconsumed}).
 */
export class MessageIterator implements AsyncIterableIterator<Message> {
  readonly #session: Session<unknown>;
  readonly #buffer: Message[] = [];
  #waiting: ((r: IteratorResult<Message>) => void) | undefined;
  #done = false;
  readonly #onMessage = (m: Message): void => {
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve({ value: m, done: false });
      return;
    }
    this.#buffer.push(m);
    this.#session._hold(inboundSize(m));
  };
  readonly #onClose = (): void => {
    this.#done = true;
    this.#detach();
    this.#waiting?.({ value: undefined, done: true });
    this.#waiting = undefined;
  };

  constructor(session: Session<unknown>) {
    this.#session = session;
    // Attaching may schedule delivery of held messages (a microtask); ours below runs after it.
    session.on('message', this.#onMessage);
    session.once('close', this.#onClose);
    // Started after the close: yield what the session still holds, then end instead of waiting forever.
    if (session._closeEmitted) queueMicrotask(this.#onClose);
  }

  next(): Promise<IteratorResult<Message>> {
    const value = this.#buffer.shift();
    if (value !== undefined) {
      this.#session._release(inboundSize(value));
      return Promise.resolve({ value, done: false });
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    this.#session._resume();
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<Message>> {
    this.#done = true;
    this.#detach();
    this.#waiting?.({ value: undefined, done: true });
    this.#waiting = undefined;
    // No lost messages: what was buffered and not yielded goes to the session's next consumer (which
    // counts it again against the session's bound).
    const left = this.#buffer.splice(0);
    for (const m of left) this.#session._release(inboundSize(m), false);
    this.#session._unconsumed(left);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    return this;
  }

  #detach(): void {
    this.#session.off('message', this.#onMessage);
    this.#session.off('close', this.#onClose);
  }
}
