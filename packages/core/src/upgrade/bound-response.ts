import { type IncomingMessage, type OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** Headers of the pipeline's response that must not be copied onto the 101. */
const NOT_ON_101 = new Set([
  'connection',
  'upgrade',
  'content-length',
  'content-type',
  'transfer-encoding',
  'keep-alive',
  'date',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'sec-websocket-version',
]);

/** The methods that write to the socket; inert after the handshake. */
const WRITERS = [
  'write',
  'end',
  'flushHeaders',
  'writeContinue',
  'writeProcessing',
  'writeEarlyHints',
] as const;
type Writer = (typeof WRITERS)[number];

const kBound = Symbol('wsgate.bound');
type Bound = ServerResponse & { [kBound]?: BoundResponse };
type AnyFn = (...a: unknown[]) => unknown;

/**
 * A `ServerResponse` written straight to an upgrade's raw socket, for a framework to answer into. It is
 * live until the handshake, when its headers are captured for the 101 (running `on-headers` hooks such
 * as express-session's cookie writer) and it becomes inert: nothing written to it afterwards can reach
 * the socket, so a late framework error can never write HTTP into a live WebSocket.
 */
export class BoundResponse {
  readonly res: ServerResponse;
  #mode: 'live' | 'capture' | 'inert' = 'live';
  #ended = false;
  #finishSeen = false;
  readonly #socket: Duplex;
  readonly #onFinish: (status: number) => void;

  constructor(req: IncomingMessage, socket: Duplex, onFinish: (status: number) => void) {
    this.#socket = socket;
    this.#onFinish = onFinish;
    const res = new ServerResponse(req);
    this.res = res;
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    (res as Bound)[kBound] = this;
    // Own properties, not a subclass: Express swaps the response's prototype for its own. The functions
    // are shared by every response (they find their BoundResponse through the response), so an upgrade
    // allocates no closures here; middleware may still wrap them in turn.
    res.writeHead = writeHead as ServerResponse['writeHead'];
    for (const method of WRITERS) (res as unknown as Record<Writer, AnyFn>)[method] = WRAPPED[method];
    res.on('finish', finished);
  }

  /**
   * @internal An own writeHead that on-headers style wrappers wrap in turn: in capture mode their hooks still run
   * (they set Set-Cookie and friends), but nothing is written and `headersSent` stays false.
   */
  static _writeHead(res: ServerResponse, args: unknown[]): ServerResponse {
    const self = (res as Bound)[kBound];
    if (self === undefined || self.#mode === 'live')
      return (ServerResponse.prototype.writeHead as AnyFn).apply(res, args) as ServerResponse;
    if (self.#mode === 'capture') {
      let headers: unknown;
      for (let i = 1; i < args.length; i++) {
        if (typeof args[i] === 'object' && args[i] !== null) {
          headers = args[i];
          break;
        }
      }
      if (Array.isArray(headers)) {
        for (let i = 0; i + 1 < headers.length; i += 2) res.setHeader(String(headers[i]), headers[i + 1]);
      } else if (headers) {
        for (const [k, v] of Object.entries(headers)) if (v !== undefined) res.setHeader(k, v as string);
      }
    }
    return res;
  }

  /** @internal A writer: the real one while live, afterwards callbacks still run and 'finish' is still emitted. */
  static _write(res: ServerResponse, method: Writer, args: unknown[]): unknown {
    const self = (res as Bound)[kBound];
    if (self === undefined || self.#mode === 'live')
      return (ServerResponse.prototype[method] as AnyFn).apply(res, args);
    for (const a of args) {
      if (typeof a === 'function') {
        process.nextTick(a as () => void);
        break;
      }
    }
    if (method === 'end' && !self.#ended) {
      self.#ended = true;
      // on-finished listeners (the framework's, a request logger's) hold the request until 'finish'.
      res.emit('finish');
    }
    return method === 'write' ? true : res;
  }

  /** @internal The response's first 'finish': a live one was the framework's answer. */
  static _finished(res: ServerResponse): void {
    const self = (res as Bound)[kBound];
    if (self === undefined || self.#finishSeen) return;
    self.#finishSeen = true;
    if (self.#mode !== 'live') return;
    self.#onFinish(res.statusCode);
    // The response carried `Connection: close`; end the socket once it is flushed.
    const s = self.#socket as Duplex & { destroySoon?: () => void };
    if (typeof s.destroySoon === 'function') s.destroySoon();
    else s.end();
  }

  /** Whether the framework has started writing a response. */
  get started(): boolean {
    return this.#mode === 'live' && this.res.headersSent;
  }

  /**
   * Runs the response's header hooks without writing, returns the headers that belong on the 101, and
   * makes the response inert.
   */
  capture(): OutgoingHttpHeaders {
    this.#mode = 'capture';
    // Only a wrapper (on-headers) has anything to run: our own writeHead would capture nothing from (101).
    if (this.res.writeHead !== writeHead) this.res.writeHead(101);
    const out: OutgoingHttpHeaders = {};
    const headers = this.res.getHeaders();
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined && !NOT_ON_101.has(name)) out[name] = value;
    }
    this.inert();
    return out;
  }

  /**
   * Ends the HTTP exchange after the 101: `end()` runs the wrappers middleware put on it (express-session
   * saves a session created during the upgrade) and 'finish' releases on-finished listeners, so the
   * framework's request and context are not held for the session's whole life. Nothing is written.
   */
  finish(): void {
    const res = this.res;
    // With `end` our own and 'finish' heard by us alone, ending would run nothing and no one reads the
    // status: skipped. (Storing statusCode into a response Express re-prototyped costs ~6 µs: two such
    // responses do not share a map, so the store builds a new one each time.)
    if (res.end === WRAPPED.end && res.listenerCount('finish') === 1 && this.#mode === 'inert') {
      this.#ended = true;
      return;
    }
    res.statusCode = 101;
    res.end();
  }

  /** Nothing written after this reaches the socket. */
  inert(): void {
    if (this.#mode === 'inert') return;
    this.#mode = 'inert';
    if (this.res.socket === this.#socket) this.res.detachSocket(this.#socket as Socket);
  }
}

function writeHead(this: ServerResponse, ...args: unknown[]): ServerResponse {
  return BoundResponse._writeHead(this, args);
}

function finished(this: ServerResponse): void {
  BoundResponse._finished(this);
}

/** One wrapper per writer method, shared by every bound response. */
const WRAPPED = Object.fromEntries(
  WRITERS.map((method) => [
    method,
    function (this: ServerResponse, ...args: unknown[]): unknown {
      return BoundResponse._write(this, method, args);
    },
  ]),
) as Record<Writer, AnyFn>;
