import { AssertionError, deepStrictEqual } from 'node:assert';
import type { WebSocket } from 'ws';
import type { SendOf } from '../contracts/contract.js';
import type { InferSend, StandardSchemaV1 } from '../contracts/schema.js';
import type { InjectOptions } from '../upgrade/inject.js';

/** Anything that opens an in-memory client: a core or adapter gate (`inject`), or Fastify (`injectWS`). */
export type Injectable =
  | { inject(path: string, options?: InjectOptions): Promise<WebSocket> }
  | { injectWS(path: string, options?: Omit<InjectOptions, 'server'>): Promise<WebSocket> };

/** Options of {@link wsTest}: the inject options, and how long each expectation waits. */
export interface WsTestOptions extends Omit<InjectOptions, 'server'> {
  /** Milliseconds an `expect*` step waits before it fails. @default 2000 */
  timeout?: number;
}

/** A check: the expected value (deep equality), a RegExp for text, or a function that throws to fail. */
export type Expectation<T> = T | ((value: T) => void);

/**
 * A scripted conversation with one route, run in order when awaited: in the spirit of superwstest, over
 * `inject` (no port). `TSend` is what the test sends (the route's `message` schema input), `TReceive` what
 * the server sends (its `send` schema input); both `unknown` without a contract. The connection is closed
 * at the end of the script if no step closed it.
 */
export interface WsTest<TSend = unknown, TReceive = unknown> extends PromiseLike<void> {
  /** Sends a text frame. */
  sendText(text: string): this;
  /** Sends `JSON.stringify(value)` as a text frame. */
  sendJson(value: TSend): this;
  /** Sends a binary frame. */
  sendBinary(data: Buffer | Uint8Array): this;
  /** The next message is a text frame equal to (or matching, or passing) `expected`. */
  expectText(expected: string | RegExp | ((text: string) => void)): this;
  /** The next message is a text frame whose JSON passes `check` (which throws to fail). */
  expectJson(check: (value: TReceive) => void): this;
  /** The next message is a text frame whose JSON is deeply equal to `expected`. */
  expectJson(expected: TReceive): this;
  /** The server closes the connection (with `code`, and a `reason` equal to, matching or passing the given one). */
  expectClosed(code?: number, reason?: string | RegExp | ((reason: string) => void)): this;
  /** The upgrade is refused with an HTTP `status`; nothing else may follow. */
  expectRejected(status?: number): this;
  /** Closes from the client side and waits for the close to complete. */
  close(code?: number, reason?: string): this;
  /** Runs `fn` with the client socket, in order (awaited). */
  exec(fn: (ws: WebSocket) => unknown): this;
}

type Received = { text: string } | { binary: Buffer };
type Step = (c: Conversation) => Promise<void>;

/** The live side of a script: the socket, what it received and not yet checked, how it closed. */
class Conversation {
  ws: WebSocket | undefined;
  refused: { status: number; error: unknown } | undefined;
  readonly inbox: Received[] = [];
  closed: { code: number; reason: string } | undefined;
  #wake: (() => void) | undefined;

  constructor(readonly timeout: number) {}

  attach(ws: WebSocket): void {
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.inbox.push(isBinary ? { binary: data } : { text: data.toString('utf8') });
      this.#poke();
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
      this.#poke();
    });
    ws.on('error', () => {}); // a protocol error ends in 'close', which the script reports
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Waits until `ready()` holds (checked on every arrival), failing with `what` after the timeout. */
  async until(ready: () => boolean, what: string): Promise<void> {
    if (ready()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        reject(
          new AssertionError({ message: `wsTest: timed out after ${this.timeout} ms waiting for ${what}` }),
        );
      }, this.timeout);
      const check = () => {
        if (ready()) {
          clearTimeout(timer);
          resolve();
        } else this.#wake = check;
      };
      this.#wake = check;
    });
  }

  async next(what: string): Promise<Received> {
    await this.until(() => this.inbox.length > 0 || this.closed !== undefined, what);
    const m = this.inbox.shift();
    if (m) return m;
    const c = this.closed!;
    throw new AssertionError({
      message: `wsTest: expected ${what}, but the connection closed (${c.code} ${c.reason})`,
    });
  }
}

function check<T>(actual: T, expected: unknown, what: string): void {
  if (typeof expected === 'function') {
    (expected as (v: T) => void)(actual);
    return;
  }
  if (expected instanceof RegExp) {
    if (typeof actual !== 'string' || !expected.test(actual))
      throw new AssertionError({
        message: `wsTest: ${what} ${JSON.stringify(actual)} does not match ${expected}`,
        actual,
        expected,
      });
    return;
  }
  deepStrictEqual(actual, expected, `wsTest: unexpected ${what}`);
}

/**
 * Starts a scripted test of a route: `await wsTest(gate, '/chat', { headers }).sendJson(x).expectJson(y)`.
 * Pass the route's contract (the same `{ message, send }` object given to the route) as `contract` to
 * type `sendJson` and `expectJson` by its schemas.
 */
export function wsTest<
  TContract extends { message?: StandardSchemaV1 | undefined; send?: StandardSchemaV1 | undefined } = object,
>(
  target: Injectable,
  path: string,
  options: WsTestOptions = {},
  _contract?: TContract,
): WsTest<SentBy<TContract>, ReceivedFrom<TContract>> {
  const steps: Step[] = [];
  const { timeout = 2_000, ...inject } = options;
  let run: Promise<void> | undefined;
  const start = async (): Promise<void> => {
    const c = new Conversation(timeout);
    try {
      const ws =
        'injectWS' in target ? await target.injectWS(path, inject) : await target.inject(path, inject);
      c.attach(ws);
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      if (typeof status !== 'number') throw error;
      c.refused = { status, error };
    }
    try {
      for (const step of steps) {
        if (c.refused && !(step as { rejects?: true }).rejects) throw c.refused.error;
        await step(c);
      }
      if (c.refused && !steps.some((s) => (s as { rejects?: true }).rejects)) throw c.refused.error;
    } finally {
      const ws = c.ws;
      if (ws && c.closed === undefined) {
        ws.close();
        // Bounded: a server that never answers the close is terminated.
        await c.until(() => c.closed !== undefined, 'the close').catch(() => ws.terminate());
      }
    }
  };
  const add = (step: Step): WsTest<SentBy<TContract>, ReceivedFrom<TContract>> => {
    if (run) throw new Error('wsTest: steps cannot be added once the script has started');
    steps.push(step);
    return api;
  };
  const api: WsTest<SentBy<TContract>, ReceivedFrom<TContract>> = {
    sendText: (text) => add(async (c) => c.ws!.send(text)),
    sendJson: (value) => add(async (c) => c.ws!.send(JSON.stringify(value))),
    sendBinary: (data) => add(async (c) => c.ws!.send(data, { binary: true })),
    expectText: (expected) =>
      add(async (c) => {
        const m = await c.next('a text message');
        if (!('text' in m))
          throw new AssertionError({ message: 'wsTest: expected a text message, got binary' });
        check(m.text, expected, 'text');
      }),
    expectJson: (expected: unknown) =>
      add(async (c) => {
        const m = await c.next('a JSON message');
        if (!('text' in m))
          throw new AssertionError({ message: 'wsTest: expected a JSON message, got binary' });
        let value: unknown;
        try {
          value = JSON.parse(m.text);
        } catch {
          throw new AssertionError({ message: `wsTest: expected JSON, got ${JSON.stringify(m.text)}` });
        }
        check(value, expected, 'JSON');
      }),
    expectClosed: (code, reason) =>
      add(async (c) => {
        await c.until(() => c.closed !== undefined, `the close${code === undefined ? '' : ` (${code})`}`);
        if (code !== undefined) check(c.closed!.code, code, 'close code');
        if (reason !== undefined) check(c.closed!.reason, reason, 'close reason');
      }),
    expectRejected: (status) => {
      const step: Step & { rejects?: true } = async (c) => {
        if (!c.refused)
          throw new AssertionError({ message: 'wsTest: expected the upgrade to be refused, but it opened' });
        if (status !== undefined) check(c.refused.status, status, 'status');
      };
      step.rejects = true;
      return add(step);
    },
    close: (code, reason) =>
      add(async (c) => {
        c.ws!.close(code, reason);
        await c.until(() => c.closed !== undefined, 'the close');
      }),
    exec: (fn) => add(async (c) => void (await fn(c.ws!))),
    // biome-ignore lint/suspicious/noThenProperty: the script is awaited like superwstest's chains.
    then(onFulfilled, onRejected) {
      run ??= start();
      return run.then(onFulfilled, onRejected);
    },
  };
  return api;
}

/** What a test sends to a route with contract `C`: its `message` schema's input. */
export type SentBy<C> = C extends { message: infer S extends StandardSchemaV1 } ? InferSend<S> : unknown;
/** What a test receives from a route with contract `C`: its `send` schema's input (sent as JSON). */
export type ReceivedFrom<C> = C extends { send: StandardSchemaV1 } ? SendOf<C> : unknown;
