import { closeEmitted, hold, release, resumeReading, unconsumed } from './inbound.js';
import { inboundSize } from './message-queue.js';
import type { Message, Session } from './session.js';

/**
 * `for await (const message of session)`: buffers what the loop has not consumed yet, pausing the socket;
 * on `return()` (a `break`) hands what is left back to the session (`unconsumed` in inbound.ts).
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
    hold(this.#session, inboundSize(m));
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
    if (closeEmitted(session)) queueMicrotask(this.#onClose);
  }

  next(): Promise<IteratorResult<Message>> {
    const value = this.#buffer.shift();
    if (value !== undefined) {
      release(this.#session, inboundSize(value));
      return Promise.resolve({ value, done: false });
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    resumeReading(this.#session);
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
    for (const m of left) release(this.#session, inboundSize(m), false);
    unconsumed(this.#session, left);
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
