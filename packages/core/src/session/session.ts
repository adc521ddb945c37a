import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { WebSocket } from 'ws';
import { CloseCode, checkClose } from '../close-policy.js';
import { encodeSend } from '../contracts/outbound.js';
import type { Settings } from '../options.js';
import { ProtocolLayer, type RequestHandler, type RequestOptions, WSGATE_V1 } from '../protocol/index.js';
import type { Params } from '../routes/router.js';
import type { Broadcaster } from '../topics/broadcast.js';
import type { ResetInfo } from '../topics/positions.js';
import { emitClose } from './inbound.js';
import { MessageIterator } from './message-iterator.js';
import { write } from './outbound.js';
import { protocolPeer } from './protocol-peer.js';
import type { SessionHost } from './session-host.js';
import { listenTo } from './socket-events.js';
import { leaveAll, settleBefore, subscribeTo, topicsOf, unsubscribeFrom } from './topic-membership.js';
import type { Message, SendData, SessionEvents, SessionInit, SubscribeOptions } from './types.js';

export type { Message, SendData, SessionEvents, SessionInit, SubscribeOptions } from './types.js';

/**
 * One WebSocket connection as the handler sees it. Messages that arrive before the handler is ready are
 * queued (the socket paused when the queue is long) and delivered in order as soon as the handler attaches
 * its first `message` listener, starts iterating, or settles. `TMessage` and `TSend` are the route's
 * contract types (its `message` schema's output, its `send` schema's input); both default to the untyped
 * frames, so `Session<TUser>` and `Session<TUser, TParams>` mean what they always did.
 */
export class Session<
  TUser = unknown,
  TParams extends object = Params,
  TMessage = Message,
  TSend = SendData,
> extends EventEmitter<SessionEvents<TMessage>> {
  /** Route params, decoded; typed from the route's path (see `RouteParams`). */
  readonly params: TParams;
  /** What `authenticate` returned, else the framework's `req.user` / `request.user` / `ctx.state.user`. */
  readonly user: TUser | undefined;
  /** The selected subprotocol, or `''`. */
  readonly protocol: string;
  /** The client's IP address, after `trustProxy`. */
  readonly remoteAddress: string;
  /** The upgrade request's headers. */
  readonly headers: IncomingHttpHeaders;
  /** The request target (path and query) of the upgrade. */
  readonly url: string;
  /** The route pattern that matched, e.g. `'/rooms/:room'`. */
  readonly route: string;
  /** The underlying `ws` WebSocket, for what wsgate does not wrap. */
  readonly raw: WebSocket;

  /** @internal */ _settings: Settings<TUser>;
  /** @internal */ _host: SessionHost;
  /** @internal when (performance.now()) the oldest unanswered ping was sent, 0 when none is */ _awaitingPongSince = 0;
  /** @internal true while wsgate holds the socket paused (heartbeat then does not count misses) */ _pausedByGate = false;
  /** @internal */ _closed = false;
  /** @internal the per-IP limit key this session counts under */ _ipKey: string | undefined;
  /** @internal the wsgate.v1 protocol layer, when the client negotiated it (protocol/) */
  _protocol: ProtocolLayer | undefined;

  // The inbound path's state (inbound.ts changes it; fields, not an object, so a session costs no more).
  /** @internal the handler is ready: messages go out as they arrive, unless some are queued */ _ready = false;
  /** @internal messages waiting for the handler, or (when `_held`) for the next consumer after a loop broke */
  _queue: Message[] | undefined = undefined;
  /** @internal bytes of received messages no consumer has taken yet, in the queue and every iterator's buffer */
  _inboundBytes = 0;
  /** @internal how many such messages */ _inboundCount = 0;
  /** @internal a loop broke with no other consumer: the queue waits for the next one */ _held = false;
  /** @internal a delivery of the queue is due on a microtask */ _flushScheduled = false;
  /** @internal `close` waits for that delivery */ _pendingClose: [number, string] | undefined = undefined;
  /** @internal the rate limit's token bucket (`limits.messages`) */ _tokens: number;
  /** @internal */ _refilledAt: number;
  /** @internal the topics it is in, kept compact (topic-membership.ts) */
  _topics: string | Set<string> | undefined = undefined;
  /** @internal the broadcast queues of the gate whose topics it joined (set by its topics on join) */
  _broadcasts: Broadcaster | undefined = undefined;
  // The outbound path's state (outbound.ts).
  /** @internal a check for `drain` is scheduled */ _drainArmed = false;

  #id: string | undefined;
  #query: URLSearchParams | undefined;
  #data: Record<string, unknown> | undefined;
  #abort: AbortController | undefined;
  #failedEvents: Set<keyof SessionEvents> | undefined;

  /** @internal created by the gate */
  constructor(raw: WebSocket, init: SessionInit<TUser>) {
    super();
    this.raw = raw;
    this.params = init.params as TParams;
    this.user = init.user;
    this.protocol = init.protocol;
    this.remoteAddress = init.remoteAddress;
    this.headers = init.headers;
    this.url = init.url;
    this.route = init.route;
    this._settings = init.settings;
    this._host = init.host;
    if (init.protocol === WSGATE_V1)
      this._protocol = new ProtocolLayer(
        protocolPeer(this as Session<unknown>),
        init.settings.handshakeTimeout,
      );
    this._tokens = init.settings.messages ? init.settings.messages.burst : 0;
    this._refilledAt = Date.now();
    // Shared listener functions (they find the session through the socket): no closures per connection.
    listenTo(raw, this as Session<unknown>);
  }

  /** A unique id (UUID), made on first use. */
  get id(): string {
    // randomUUID() returns a tree of ~15 concatenated strings (~490 bytes); a flat copy is ~64.
    this.#id ??= Buffer.from(randomUUID(), 'latin1').toString('latin1');
    return this.#id;
  }

  /** The query string, parsed on first use. */
  get query(): URLSearchParams {
    if (!this.#query) {
      const q = this.url.indexOf('?');
      this.#query = new URLSearchParams(q === -1 ? '' : this.url.slice(q + 1));
    }
    return this.#query;
  }

  /** Free per-session state for the application. */
  get data(): Record<string, unknown> {
    this.#data ??= {};
    return this.#data;
  }

  /** The topics this session is subscribed to (a snapshot). */
  get topics(): ReadonlySet<string> {
    return topicsOf(this as Session<unknown>);
  }

  /** Aborted when the session closes; pass it to fetch, timers and iterators the handler starts. */
  get signal(): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController();
      if (this._closed) this.#abort.abort();
    }
    return this.#abort.signal;
  }

  /** Bytes queued for sending and not yet handed to the OS. */
  get bufferedAmount(): number {
    return this.raw.bufferedAmount;
  }

  /** The WebSocket ready state: 0 connecting, 1 open, 2 closing, 3 closed. */
  get readyState(): number {
    return this.raw.readyState;
  }

  /**
   * Sends a message: a string as a text frame, anything else as binary. Returns false when the message
   * was not sent (the session is not open, or the backpressure `limit` applied) or when buffered data is
   * now above `highWaterMark`; wait for `drain` before sending more. The limit applies to what is still
   * buffered ahead of this message, not to its size: a message larger than `backpressure.limit` is sent
   * when the client has read what came before (at most `limit` bytes wait), and the next `send()` waits
   * for `drain` like any other.
   */
  send(data: TSend): boolean {
    // A route with a `send` schema sends JSON values (contracts/outbound.ts); wsgate.v1 wraps them in `msg`.
    const contract = this._settings.contract;
    const payload = contract?.send ? encodeSend(contract, data) : (data as SendData);
    const frame = this._protocol === undefined ? payload : this._protocol.message(payload);
    return write(this as Session<unknown>, frame);
  }

  /**
   * Sends a request to a `wsgate.v1` client and resolves with its reply (any JSON value, or a Buffer for
   * binary), or rejects with a `RequestError` (code `timeout`, `closed`, or the client's own error).
   * Rejects with a TypeError on a session that did not negotiate the protocol.
   */
  request(data: unknown, options?: RequestOptions): Promise<unknown> {
    if (this._protocol === undefined)
      return Promise.reject(new TypeError('wsgate: request() needs a client speaking wsgate.v1'));
    return this._protocol.request(data, options);
  }

  /**
   * Answers the requests of a `wsgate.v1` client: the handler's return value (or its promise's) is the
   * reply; a thrown `RequestError` is sent as that error, anything else as `failed`. Requests that arrive
   * before a handler is set are held (up to 64) until one is. No effect on a session without the protocol.
   */
  onRequest(handler: RequestHandler | undefined): void {
    this._protocol?.onRequest(handler);
  }

  /** Sends `JSON.stringify(value)` as a text frame; same return value as {@link Session.send}. */
  sendJson(value: unknown): boolean {
    const text = JSON.stringify(value);
    // JSON.stringify returns undefined (not a string) for these; sending nothing would hide the bug.
    if (text === undefined)
      throw new TypeError(`wsgate: sendJson() cannot send ${typeof value} (it has no JSON representation)`);
    // Not through send(): a `send` schema does not apply to sendJson, but the wsgate.v1 envelope does.
    const frame = this._protocol === undefined ? text : this._protocol.message(text);
    return write(this as Session<unknown>, frame);
  }

  /**
   * Joins a topic: messages published to it reach this session. The promise resolves once the topic is
   * live on the broker for this session (messages published on any node from then on reach it) and its
   * presence, if given, is registered; not awaiting it is fine. It rejects only when the broker refused
   * (the failure also goes to `onError`). A bad topic name or presence `info` is a TypeError at once.
   * Subscribing again only updates the presence.
   */
  subscribe(topic: string, options?: SubscribeOptions): Promise<void> {
    return subscribeTo(this as Session<unknown>, topic, options);
  }

  /** @internal The topic's history skipped messages it could not replay: tell the listeners. */
  _reset(topic: string, info: ResetInfo): void {
    if (this.listenerCount('reset') > 0) this.emit('reset', topic, info);
  }

  /** Leaves a topic. */
  unsubscribe(topic: string): void {
    unsubscribeFrom(this as Session<unknown>, topic);
  }

  /**
   * Publishes to a topic's members on every node, except this session. What they receive is `data` as it
   * is now: a Buffer may be reused or changed as soon as this returns (wsgate copies it once, whatever the
   * number of members, since delivery may continue on later turns).
   */
  publish(topic: string, data: SendData): void {
    this._host.topics.publish(topic, data, this as Session<unknown>);
  }

  /**
   * Starts the closing handshake. `code` must be 1000, a non-reserved 1001-1014 code or 3000-4999, and
   * `reason` at most 123 bytes of UTF-8; anything else is a TypeError.
   * @default code 1000
   */
  close(code: number = CloseCode.normal, reason = ''): void {
    checkClose(code, reason);
    settleBefore(this as Session<unknown>); // a broadcast published earlier goes out first
    const raw = this.raw;
    if (raw.readyState === 0 || raw.readyState === 1) raw.close(code, reason);
    // A socket wsgate holds paused (the handler is not listening yet) could never read the peer's close
    // reply, and the close would wait for closeTimeout. Read again; while closing, the queue stays bounded
    // by dropping what arrives beyond it (see inbound.ts).
    if (this._pausedByGate && raw.readyState === 2) {
      this._pausedByGate = false;
      raw.resume();
    }
  }

  /** Destroys the connection at once, without a closing handshake. */
  terminate(): void {
    this.raw.terminate();
  }

  /**
   * Iterates over messages until the session closes. Breaking out of the loop (or calling the iterator's
   * `return()`) leaves the session open and loses nothing: messages the loop had buffered but not yet
   * yielded stay with the session, in order, and go to the next `message` listener or iterator, ahead of
   * newer ones. Until one attaches, arrivals queue behind them (the socket is paused when the queue is
   * long, as before the handler is ready). If none ever does, they are held until the session is released;
   * `close` is still emitted on time, and an iterator started after the close yields them, then ends.
   * When another `message` listener is still attached, it has already received them and nothing is held.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<TMessage> {
    return new MessageIterator(
      this as Session<unknown>,
    ) as AsyncIterableIterator<unknown> as AsyncIterableIterator<TMessage>;
  }

  /** @internal Called once when the connection has closed. */
  _onClose(code: number, reason: string): void {
    if (this._closed) return;
    this._closed = true;
    this.#abort?.abort();
    this._protocol?.closed();
    leaveAll(this as Session<unknown>);
    this._host.sessionClosed(this as Session<unknown>, code, reason);
    emitClose(this as Session<unknown>, code, reason); // after queued messages, if a delivery is due
  }

  /**
   * @internal Every session event goes out through here. A listener that throws (a bug in the app's
   * `message` or `close` listener) would otherwise unwind into ws's socket handlers and take the whole
   * process down; instead the error is reported as a handler error and only this session closes (1011).
   */
  override emit<K extends keyof SessionEvents<TMessage>>(
    event: K,
    ...args: SessionEvents<TMessage>[K]
  ): boolean {
    try {
      return (super.emit as (e: K, ...a: SessionEvents<TMessage>[K]) => boolean)(event, ...args);
    } catch (err) {
      // Reported once per event name: a listener that throws on every message would flood the logs.
      this.#failedEvents ??= new Set<keyof SessionEvents>();
      if (!this.#failedEvents.has(event)) {
        this.#failedEvents.add(event);
        this._host.listenerError(err, this as Session<unknown>);
      }
      return true;
    }
  }

  /** @internal */
  _onError(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else this._host.socketError(err, this as Session<unknown>);
  }
}
