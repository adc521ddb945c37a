import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { CloseCode, checkClose, closeFor } from '../close-policy.js';
import { receiveChecked } from '../contracts/inbound.js';
import { encodeSend } from '../contracts/outbound.js';
import type { Settings } from '../options.js';
import {
  ProtocolLayer,
  type ProtocolPeer,
  type RequestHandler,
  type RequestOptions,
  WSGATE_V1,
} from '../protocol/index.js';
import type { Params } from '../routes/router.js';
import { broadcastPendingFor, settleBroadcasts } from '../topics/broadcast.js';
import type { ResetInfo } from '../topics/positions.js';
import { inboundSize, MessageIterator, prepend, QUEUE_MESSAGES, recordSize } from './message-queue.js';
import { sizeOfSendData } from './send-data.js';
import type { SessionHost } from './session-host.js';

/** A message as the handler receives it: text frames as `string`, binary frames as `Buffer`. */
export type Message = string | Buffer;

/** What `send` accepts: a string is sent as a text frame, anything else as binary. */
export type SendData = string | Buffer | ArrayBuffer | ArrayBufferView;

/**
 * The events a {@link Session} emits. `TMessage` is what `message` carries: `string | Buffer`, or the
 * route's `message` schema output (contracts).
 */
export interface SessionEvents<TMessage = Message> {
  /** A complete message, in arrival order. */
  message: [data: TMessage];
  /** The connection closed; `code` is the close code received (1005 when none, 1006 when the TCP dropped). */
  close: [code: number, reason: string];
  /** Buffered outbound data fell below `backpressure.highWaterMark` after `send` returned false. */
  drain: [];
  /** A protocol or socket error. Emitted only when someone listens; logged otherwise. */
  error: [err: Error];
  /**
   * A topic with history skipped messages this session should have had and that cannot be replayed (the
   * history was lost, or they left it): reload the topic's state, as `gate.on('reset')` says per node.
   */
  reset: [topic: string, info: ResetInfo];
}

/** Options of {@link Session.subscribe}. */
export interface SubscribeOptions {
  /** Show this session in the topic's presence with this small JSON value (at most 4 KiB). */
  presence?: unknown;
}

const RESOLVED: Promise<void> = Promise.resolve();

const kSession = Symbol('wsgate.session');
type RawWithSession = WebSocket & { [kSession]: Session<unknown> };

/** What the gate knows about a session when it creates one. */
export interface SessionInit<TUser> {
  params: Params;
  user: TUser | undefined;
  protocol: string;
  remoteAddress: string;
  headers: IncomingHttpHeaders;
  url: string;
  route: string;
  settings: Settings<TUser>;
  host: SessionHost;
}

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

  #id: string | undefined;
  #query: URLSearchParams | undefined;
  #data: Record<string, unknown> | undefined;
  /** One topic as a plain string (the common case: a Set costs ~160 bytes per session), several as a Set. */
  #topics: string | Set<string> | undefined;
  #abort: AbortController | undefined;
  #ready = false;
  /** Messages waiting for the handler to be ready, or (when #held) for the next consumer after a loop broke. */
  #queue: Message[] | undefined;
  /** Bytes and messages received and not yet taken by a consumer, in the queue and every iterator's buffer. */
  #inboundBytes = 0;
  #inboundCount = 0;
  #held = false;
  #flushScheduled = false;
  #pendingClose: [number, string] | undefined;
  #drainArmed = false;
  #failedEvents: Set<keyof SessionEvents> | undefined;
  #tokens: number;
  #refilledAt: number;

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
    this.#tokens = init.settings.messages ? init.settings.messages.burst : 0;
    this.#refilledAt = Date.now();
    // EventEmitter keeps listeners in a `{ __proto__: null }` literal, which V8 builds in dictionary mode
    // (~190-290 bytes). A fast-mode object with a null prototype has the same semantics at ~64 bytes; with
    // one per session and one per ws socket that is most of the Session's cost at 10k idle connections.
    if (FAST_EVENTS) {
      (this as unknown as EventsHolder)._events = Object.setPrototypeOf({}, null);
      // The socket's store only while still empty, so a listener someone attached before us is never lost.
      if ((raw as unknown as EventEmitter).eventNames().length === 0)
        (raw as unknown as EventsHolder)._events = Object.setPrototypeOf({}, null);
    }
    (raw as RawWithSession)[kSession] = this as Session<unknown>;
    // Shared listener functions (they find the session through the socket): no closures per connection.
    const emitter = raw as unknown as EventEmitter;
    emitter.on('message', onRawMessage);
    emitter.on('close', onRawClose);
    emitter.on('error', onRawError);
    emitter.on('pong', onRawPong);
    emitter.on('ping', onRawPing);
    (this as unknown as EventEmitter).on('newListener', onNewListener);
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
    const t = this.#topics;
    return t === undefined ? EMPTY_SET : typeof t === 'string' ? new Set([t]) : new Set(t);
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
    return this._write(this._protocol === undefined ? payload : this._protocol.message(payload));
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

  /** @internal Writes one message as is (after the protocol's envelope, if any; error replies, `sendJson`). */
  _write(data: SendData): boolean {
    const size = sizeOfSendData(data, 'send()');
    const raw = this.raw;
    if (raw.readyState !== 1) return false;
    // A broadcast published earlier may still be on its way to this session: it goes first.
    if (broadcastPendingFor(this.#topics)) settleBroadcasts();
    if (!this._admit()) return false;
    raw.send(data);
    this._host.stats.sent(size);
    return this._afterWrite();
  }

  /** Sends `JSON.stringify(value)` as a text frame; same return value as {@link Session.send}. */
  sendJson(value: unknown): boolean {
    const text = JSON.stringify(value);
    // JSON.stringify returns undefined (not a string) for these; sending nothing would hide the bug.
    if (text === undefined)
      throw new TypeError(`wsgate: sendJson() cannot send ${typeof value} (it has no JSON representation)`);
    // Not through send(): a `send` schema does not apply to sendJson, but the wsgate.v1 envelope does.
    return this._write(this._protocol === undefined ? text : this._protocol.message(text));
  }

  /**
   * Joins a topic: messages published to it reach this session. The promise resolves once the topic is
   * live on the broker for this session (messages published on any node from then on reach it) and its
   * presence, if given, is registered; not awaiting it is fine. It rejects only when the broker refused
   * (the failure also goes to `onError`). A bad topic name or presence `info` is a TypeError at once.
   * Subscribing again only updates the presence.
   */
  subscribe(topic: string, options?: SubscribeOptions): Promise<void> {
    if (this._closed) return RESOLVED;
    const t = this.#topics;
    const member = t === topic || (typeof t === 'object' && t.has(topic));
    if (member && options?.presence === undefined) return RESOLVED;
    // Joined first: a TypeError (a malformed name, bad presence info) leaves the session unchanged.
    const ready = this._host.topics.join(topic, this as Session<unknown>, options);
    if (!member) {
      if (t === undefined) this.#topics = topic;
      else if (typeof t === 'string') this.#topics = new Set([t, topic]);
      else t.add(topic);
      // wsgate.v1: deliveries are held until `sub` (and the replay of what the client missed) went out.
      this._protocol?.topics.joined(topic, this._host.topics.source(topic, ready));
    }
    return ready ?? RESOLVED;
  }

  /** @internal The topic's history skipped messages it could not replay: tell the listeners. */
  _reset(topic: string, info: ResetInfo): void {
    if (this.listenerCount('reset') > 0) this.emit('reset', topic, info);
  }

  /** Leaves a topic. */
  unsubscribe(topic: string): void {
    const t = this.#topics;
    if (t !== topic && (typeof t !== 'object' || !t.has(topic))) return;
    // Still a recipient of pending deliveries to this topic: finish them before it stops counting.
    if (broadcastPendingFor(topic)) settleBroadcasts();
    if (t === topic) this.#topics = undefined;
    else (t as Set<string>).delete(topic);
    this._host.topics.leave(topic, this as Session<unknown>);
    this._protocol?.topics.left(topic); // wsgate.v1: `unsub`, after the topic's last `pub`
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
    if (broadcastPendingFor(this.#topics)) settleBroadcasts();
    const raw = this.raw;
    if (raw.readyState === 0 || raw.readyState === 1) raw.close(code, reason);
    // A socket wsgate holds paused (the handler is not listening yet) could never read the peer's close
    // reply, and the close would wait for closeTimeout. Read again; while closing, the queue stays bounded
    // by dropping what arrives beyond it (see _receive).
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

  /**
   * @internal Applies the backpressure limit before a message is written. Only what is already buffered
   * counts: more than `limit` bytes still unsent means the client stopped reading. The message's own size
   * does not, or one message larger than the limit would close (or be dropped for) a client that reads,
   * and a large publish would close every subscriber. A session so buffers at most `limit` plus one message.
   */
  _admit(): boolean {
    const { limit, policy } = this._settings.backpressure;
    if (this.raw.bufferedAmount <= limit) return true;
    this._host.stats.slowConsumer(policy);
    if (policy === 'close') {
      if (this.raw.readyState === 1) this.raw.close(closeFor.slowConsumer.code, closeFor.slowConsumer.reason);
    }
    return false;
  }

  /** @internal After a write: true while under the high-water mark, else arms 'drain'. */
  _afterWrite(): boolean {
    if (this.raw.bufferedAmount <= this._settings.backpressure.highWaterMark) return true;
    if (!this.#drainArmed) {
      const socket = (this.raw as unknown as { _socket?: Socket | null })._socket;
      if (socket && !socket.destroyed) {
        this.#drainArmed = true;
        // Not the socket's 'drain' event: it fires only after a write() returned false, i.e. above the
        // socket's own highWaterMark (16 KiB on Node 20, 64 KiB from Node 22), which may be above ours.
        const check = () => {
          this.#drainArmed = false;
          if (this.raw.readyState !== 1) return;
          if (this.raw.bufferedAmount <= this._settings.backpressure.highWaterMark) this.emit('drain');
          else this._afterWrite();
        };
        // A zero-length write's callback runs once everything queued before it has been flushed. When the
        // socket holds nothing, the bytes are still in ws's sender (being compressed): a zero-length write
        // would complete at once and spin, starving zlib's completion, so look again on the next turn.
        if (socket.writableLength > 0) socket.write(EMPTY, check);
        else setImmediate(check);
      }
    }
    return false;
  }

  /** @internal The handler is ready, or a consumer attached while messages are held: deliver them, in order. */
  _markReady(): void {
    if (this.#ready && !this.#held) return;
    this.#ready = true;
    (this as unknown as EventEmitter).off('newListener', onNewListener);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // Deliver after the current synchronous code, so a listener attached next to the first one sees it all.
    queueMicrotask(() => this.#flush());
  }

  /**
   * @internal An iterator stopped early with `unconsumed` messages. With no other consumer left, they go
   * back to the front of the queue and the session holds messages for the next consumer; another listener
   * still attached has had them already and keeps receiving live.
   */
  _unconsumed(unconsumed: Message[]): void {
    if (!this.#ready || this.listenerCount('message') > 0) {
      // Not ready: whatever the handler has not seen is still in the queue, which delivers on readiness.
      this._resume();
      return;
    }
    if (this.#queue === undefined) this.#queue = unconsumed;
    else prepend(this.#queue, unconsumed);
    for (const m of unconsumed) this._hold(inboundSize(m));
    this.#hold();
  }

  /** Holds the queue for the next consumer, bounded as before readiness: the socket paused at the bound. */
  #hold(): void {
    this.#queue ??= [];
    this.#held = true;
    const emitter = this as unknown as EventEmitter;
    emitter.off('newListener', onNewListener);
    emitter.on('newListener', onNewListener);
    this._resume();
  }

  /**
   * @internal A received message of `size` bytes now waits in a buffer (the queue or an iterator's) for
   * its consumer. Every buffer of the session counts against one bound, `limits.inbound` bytes or
   * {@link QUEUE_MESSAGES} messages: at it the socket is paused, so a slow consumer pushes back on the
   * client through TCP instead of growing the server's memory.
   */
  _hold(size: number): void {
    this.#inboundBytes += size;
    this.#inboundCount++;
    // Not while closing: the peer's close reply must still be read; _receive drops past the bound instead.
    if (!this._pausedByGate && this.raw.readyState === 1 && this.#overInbound()) this._pause();
  }

  /** @internal A buffered message was taken (or handed to another buffer, `resume` false). */
  _release(size: number, resume = true): void {
    this.#inboundBytes -= size;
    this.#inboundCount--;
    if (resume) this._resume();
  }

  /** @internal Bytes of received messages no consumer has taken yet (for tests and stats). */
  get _inboundBytes(): number {
    return this.#inboundBytes;
  }

  #overInbound(): boolean {
    return this.#inboundBytes >= this._settings.inbound || this.#inboundCount >= QUEUE_MESSAGES;
  }

  #awaitingConsumer(): boolean {
    return this.#held && this.listenerCount('message') === 0;
  }

  /** @internal Whether `close` has been emitted (an iterator started later would wait for it forever). */
  get _closeEmitted(): boolean {
    return this._closed && this.#pendingClose === undefined;
  }

  /** @internal */
  _receive(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    this._awaitingPongSince = 0;
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    this._host.stats.received(buf.length);
    const rate = this._settings.messages;
    if (rate) {
      const now = Date.now();
      this.#tokens = Math.min(rate.burst, this.#tokens + ((now - this.#refilledAt) * rate.rate) / 1000);
      this.#refilledAt = now;
      if (this.#tokens < 1) {
        if (this.raw.readyState === 1) this.raw.close(closeFor.rateLimited.code, closeFor.rateLimited.reason);
        return;
      }
      this.#tokens -= 1;
    }
    // Closing: close() reads again for the peer's close reply, and a peer may keep sending until then;
    // what arrives beyond the bound is dropped rather than buffered (by the queue or an iterator).
    if (this.raw.readyState !== 1 && this.#overInbound()) return;
    const frame: Message = isBinary ? buf : buf.toString('utf8');
    // wsgate.v1: the protocol's own frames stop here; only an application message goes on.
    const message = this._protocol === undefined ? frame : this._protocol.receive(frame);
    if (message === undefined) return;
    // A route with a `message` schema parses and validates first, in order (contracts/inbound.ts); with
    // wsgate.v1 the schema applies to the `msg` payload.
    const contract = this._settings.contract;
    if (contract?.message !== undefined) {
      const bytes = message === frame ? buf : Buffer.isBuffer(message) ? message : Buffer.from(message);
      receiveChecked(this as Session<unknown>, contract, bytes, Buffer.isBuffer(message));
    } else this._deliver(message, buf.length);
  }

  /** @internal A message (a frame, or a contract's validated value) for the handler, in arrival order. */
  _deliver(message: unknown, size: number): void {
    if (this.#ready && this.#queue === undefined) {
      (this.emit as (e: 'message', m: unknown) => boolean)('message', message);
      return;
    }
    this.#queue ??= [];
    this.#queue.push(message as Message);
    this._hold(recordSize(message, size));
  }

  /** @internal */
  _pause(): void {
    this._pausedByGate = true;
    this.raw.pause();
  }

  /** @internal Reads again once the buffers are down to half the bound (not at every message taken). */
  _resume(): void {
    if (!this._pausedByGate) return;
    if (this.#inboundBytes > this._settings.inbound / 2 || this.#inboundCount > QUEUE_MESSAGES / 2) return;
    this._pausedByGate = false;
    this._awaitingPongSince = 0;
    if (this.raw.readyState === 1) this.raw.resume();
  }

  /** @internal Called once when the connection has closed. */
  _onClose(code: number, reason: string): void {
    if (this._closed) return;
    this._closed = true;
    this.#abort?.abort();
    this._protocol?.closed();
    const t = this.#topics;
    this.#topics = undefined;
    if (typeof t === 'string') this._host.topics.leave(t, this as Session<unknown>);
    else if (t) for (const topic of t) this._host.topics.leave(topic, this as Session<unknown>);
    this._host.sessionClosed(this as Session<unknown>, code, reason);
    // Held messages wait for a consumer that may never come; 'close' does not wait with them.
    if (this.#ready && !this.#flushScheduled) this.emit('close', code, reason);
    else this.#pendingClose = [code, reason];
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

  #flush(): void {
    this.#flushScheduled = false;
    const queue = this.#queue;
    if (queue) {
      // Messages arriving while we deliver go to the end of the same queue, so order holds. Shifting (not
      // indexing) lets an iterator that stops during delivery put its messages back at the front.
      while (queue.length > 0 && !this.#awaitingConsumer()) {
        const m = queue.shift()!;
        this._release(inboundSize(m), false);
        (this.emit as (e: 'message', m: unknown) => boolean)('message', m);
      }
    }
    if (this.#awaitingConsumer()) {
      // The consumer that asked for held messages has gone again: never emit them to nobody.
      this.#hold();
    } else {
      this.#queue = undefined;
      this.#held = false;
      this._resume();
    }
    if (this.#pendingClose) {
      const [code, reason] = this.#pendingClose;
      this.#pendingClose = undefined;
      this.emit('close', code, reason);
    }
  }
}

const EMPTY = Buffer.alloc(0);
const EMPTY_SET: ReadonlySet<string> = new Set();

/** EventEmitter's listener store (a Node internal, stable since Node 0.x). */
interface EventsHolder {
  _events: object;
}

/**
 * Whether this Node keeps listeners where the Session's memory saving expects them: a null-prototype
 * `_events` object. Should a Node release change that, sessions fall back to the default store (a little
 * more memory per connection) instead of breaking.
 */
const FAST_EVENTS = ((): boolean => {
  const probe = new EventEmitter() as unknown as Partial<EventsHolder>;
  const events = probe._events;
  if (typeof events !== 'object' || events === null || Object.getPrototypeOf(events) !== null) return false;
  const listener = (): void => {};
  (probe as unknown as EventEmitter).on('x', listener);
  return (events as Record<string, unknown>).x === listener;
})();

/** What the wsgate.v1 layer may do with its session. */
function protocolPeer(session: Session<unknown>): ProtocolPeer {
  return {
    write: (frame) => session._write(frame),
    close: (code, reason) => session.close(code, reason),
    get open() {
      return session.readyState === 1;
    },
    report: (err) => session._onError(err instanceof Error ? err : new Error(String(err))),
    backpressure: {
      limit: session._settings.backpressure.limit,
      policy: session._settings.backpressure.policy,
      overflow: () => {
        session._host.stats.slowConsumer('close');
        session.close(CloseCode.tryAgainLater, 'backpressure limit exceeded');
      },
    },
  };
}

function onNewListener(this: Session<unknown>, event: string | symbol): void {
  if (event === 'message') this._markReady();
}
function onRawMessage(this: RawWithSession, data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
  this[kSession]._receive(data, isBinary);
}
function onRawClose(this: RawWithSession, code: number, reason: Buffer): void {
  this[kSession]._onClose(code, reason.toString());
}
function onRawError(this: RawWithSession, err: Error): void {
  this[kSession]._onError(err);
}
/**
 * The gate's sockets do not answer pings by themselves (`autoPong: false`): a peer that sends pings and never
 * reads would otherwise grow our buffered pongs without bound, as no limit looks at them. Each pong passes
 * the backpressure limit like a message.
 */
function onRawPing(this: RawWithSession, data: Buffer): void {
  const session = this[kSession];
  if (this.readyState === 1 && session._admit()) this.pong(data);
}
function onRawPong(this: RawWithSession): void {
  this[kSession]._awaitingPongSince = 0;
}
