import type { WireError } from './envelope.js';

/**
 * A request that failed: the peer's error reply, a timeout, or the connection closing. Throw one from a
 * request handler to send its `code` and `message` to the client; any other error is sent as `failed`
 * with a generic message (and reported to `onError`), so internals never leak.
 */
export class RequestError extends Error {
  /** `timeout`, `closed`, `no-handler`, `busy`, `failed`, or the application's own code. */
  readonly code: string;
  constructor(code: string, message?: string) {
    super(message ?? code);
    this.name = 'RequestError';
    this.code = code;
  }
}

/** Options of `session.request()`. */
export interface RequestOptions {
  /** Milliseconds to wait for the reply before rejecting with code `timeout`. @default 10000 */
  timeout?: number;
}

interface Waiter {
  resolve(value: unknown): void;
  reject(err: RequestError): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Requests this side sent and whose reply it awaits: ids, timeouts, and late or unknown replies ignored.
 * Every request settles exactly once (reply, error reply, timeout or close), so none ever hangs.
 */
export class PendingRequests {
  readonly #waiting = new Map<number, Waiter>();
  #nextId = 1;

  get size(): number {
    return this.#waiting.size;
  }

  /** Registers a request; `send(id)` writes it. Rejects at once when `send` throws. */
  start(send: (id: number) => void, options: RequestOptions = {}): Promise<unknown> {
    const timeout = options.timeout ?? 10_000;
    if (typeof timeout !== 'number' || !(timeout > 0))
      return Promise.reject(new TypeError('wsgate: request timeout must be a positive number of ms'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new RequestError('timeout', `no reply within ${timeout} ms`));
      }, timeout);
      timer.unref?.();
      this.#waiting.set(id, { resolve, reject, timer });
      try {
        send(id);
      } catch (err) {
        clearTimeout(timer);
        this.#waiting.delete(id);
        reject(err);
      }
    });
  }

  /** A reply arrived: settles its request; false when none waits for it (late or unknown: ignored). */
  settle(id: number, data: unknown, error: WireError | undefined): boolean {
    const w = this.#waiting.get(id);
    if (!w) return false;
    this.#waiting.delete(id);
    clearTimeout(w.timer);
    if (error) w.reject(new RequestError(error.code, error.message));
    else w.resolve(data);
    return true;
  }

  /** The connection closed: every request still waiting fails with code `closed`. */
  closeAll(): void {
    for (const w of this.#waiting.values()) {
      clearTimeout(w.timer);
      w.reject(new RequestError('closed', 'the connection closed before the reply'));
    }
    this.#waiting.clear();
  }
}
