import type { Message, Session } from './session.js';

/**
 * Messages a consumer has not taken yet: the session's queue (before the handler is ready, and held for the
 * next consumer after a loop stopped) and each iterator's buffer. Both are bounded by pausing the socket.
 */

/** How many queued messages (or bytes) make wsgate pause the socket until the handler catches up. */
export const QUEUE_MESSAGES = 256;
export const QUEUE_BYTES = 1 << 20;

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
    if (this.#buffer.length >= QUEUE_MESSAGES && !this.#session._pausedByGate) this.#session._pause();
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
      if (this.#buffer.length < QUEUE_MESSAGES / 2) this.#session._resume();
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
    // No lost messages: what was buffered and not yielded goes to the session's next consumer.
    this.#session._unconsumed(this.#buffer.splice(0));
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
