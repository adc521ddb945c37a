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
  readonly #socket: Duplex;

  constructor(req: IncomingMessage, socket: Duplex, onFinish: (status: number) => void) {
    this.#socket = socket;
    const res = new ServerResponse(req);
    this.res = res;
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    const self = this;
    const writeHead = res.writeHead;
    // An own writeHead that on-headers style wrappers wrap in turn: in capture mode their hooks still run
    // (they set Set-Cookie and friends), but nothing is written and `headersSent` stays false.
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      if (self.#mode === 'live') return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
      if (self.#mode === 'capture') {
        const headers = args.find((a, i) => i > 0 && typeof a === 'object' && a !== null);
        if (Array.isArray(headers)) {
          for (let i = 0; i + 1 < headers.length; i += 2) this.setHeader(String(headers[i]), headers[i + 1]);
        } else if (headers) {
          for (const [k, v] of Object.entries(headers)) if (v !== undefined) this.setHeader(k, v as string);
        }
      }
      return this;
    } as ServerResponse['writeHead'];
    for (const method of [
      'write',
      'end',
      'flushHeaders',
      'writeContinue',
      'writeProcessing',
      'writeEarlyHints',
    ] as const) {
      const original = res[method] as (...a: unknown[]) => unknown;
      (res as unknown as Record<string, unknown>)[method] = function (
        this: ServerResponse,
        ...args: unknown[]
      ) {
        if (self.#mode === 'live') return original.apply(this, args);
        const cb = args.find((a) => typeof a === 'function') as (() => void) | undefined;
        if (cb) process.nextTick(cb);
        if (method === 'end' && !self.#ended) {
          self.#ended = true;
          // on-finished listeners (the framework's, a request logger's) hold the request until 'finish'.
          this.emit('finish');
        }
        return method === 'write' ? true : this;
      };
    }
    res.once('finish', () => {
      if (self.#mode !== 'live') return;
      onFinish(res.statusCode);
      // The response carried `Connection: close`; end the socket once it is flushed.
      const s = socket as Duplex & { destroySoon?: () => void };
      if (typeof s.destroySoon === 'function') s.destroySoon();
      else socket.end();
    });
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
    this.res.writeHead(101);
    const out: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(this.res.getHeaders())) {
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
    this.res.statusCode = 101;
    this.res.end();
  }

  /** Nothing written after this reaches the socket. */
  inert(): void {
    if (this.#mode === 'inert') return;
    this.#mode = 'inert';
    if (this.res.socket === this.#socket) this.res.detachSocket(this.#socket as Socket);
  }
}
