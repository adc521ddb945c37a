import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { RouteOptions, Settings } from '../options.js';
import { Session } from '../session/session.js';
import { type AcceptOptions, type Handler, open, UpgradeAbortedError } from './accept.js';
import { authAbandoned, authenticate } from './authenticate.js';
import { BoundResponse } from './bound-response.js';
import { defaultReason } from './http-error.js';
import { checkOrigin } from './origin.js';
import type { ClientInfo } from './proxy.js';
import type { Refusal } from './refusal.js';
import type { HandlerQueue, Opening } from './run-handler.js';
import type { HandshakeInfo } from './ws-servers.js';

// What accept() takes and rejects with live next to the hand-over; re-exported for who imports them here.
export { type AcceptOptions, type Handler, UpgradeAbortedError } from './accept.js';

/** What a PreparedUpgrade needs from its gate. @internal */
export interface UpgradeHost<TUser> {
  settings(options: RouteOptions<TUser> | undefined): Settings<TUser>;
  wss(settings: Settings<TUser>): WebSocketServer;
  /** The upgrade no longer holds a pending slot: it opened `opened`, or it ended without a session. */
  released(
    upgrade: PreparedUpgrade<TUser>,
    opened: Session<TUser> | null,
    status: number,
    reason: string,
  ): void;
  /** The gate's one refusal path (counts, emits, logs; writes when given the socket). */
  refuse(req: IncomingMessage, refusal: Refusal, socket?: Duplex): null;
  opened(session: Session<TUser>): void;
  report(err: unknown, phase: string, session?: Session<TUser>, req?: IncomingMessage): void;
  sessionHost: ConstructorParameters<typeof Session>[1]['host'];
  /** The gate's queue of handlers due to run (see `HandlerQueue`). */
  handlers: HandlerQueue;
}

type State = 'pending' | 'accepting' | 'open' | 'done';

/**
 * The upgrade a request belongs to, so a framework's route handler can find the one it is serving. A
 * property, not a WeakMap entry: an insert per upgrade costs more than the checks, and GCs walk entries.
 */
const kUpgrade = Symbol('wsgate.upgrade');
type MarkedRequest = IncomingMessage & { [kUpgrade]?: PreparedUpgrade<unknown> };

/**
 * One upgrade between `gate.prepare()` and the 101: what adapters drive. Either `reject` it, let the
 * framework answer into `response`, or `accept` it with a handler. It never leaves the socket hanging:
 * `handshakeTimeout` answers 503, and a client that leaves releases everything it held.
 */
export class PreparedUpgrade<TUser = unknown> {
  /** The upgrade request. */
  readonly req: IncomingMessage;
  /** Client address, scheme and host after `trustProxy`. */
  readonly client: ClientInfo;
  /** @internal per-IP limit key */
  readonly ipKey: string;
  /** @internal whether the Origin failed the gate policy and awaits the route's own */
  originRefusal: string | null = null;
  /** The route pattern `accept()` was given: telemetry's `http.route` for a refusal after it. */
  route: string | undefined;

  /** @internal */ readonly _socket: Duplex;
  /** @internal */ readonly _head: Buffer;
  /** @internal */ readonly _host: UpgradeHost<TUser>;
  /** @internal the request target as received, before any framework router rewrites `req.url` */
  readonly _url: string;
  /** @internal the response the framework answers into, once asked for */ _bound: BoundResponse | undefined;
  /** @internal authenticate's signal, made when read (authenticate.ts) */ _abort:
    | AbortController
    | undefined;
  /** @internal an async authenticate's wait, ended when the upgrade is abandoned (authenticate.ts) */
  _authWaiters: Array<(err: UpgradeAbortedError) => void> | undefined;
  /** @internal the subprotocol and 101 headers (ws-servers.ts) */ _handshake: HandshakeInfo | undefined;
  /** @internal the socket ws has just upgraded (its callback runs inside `handleUpgrade`, accept.ts) */
  _raw: WebSocket | undefined;
  /** @internal set while waiting for a ws callback that did not come synchronously (accept.ts) */
  _late: ((raw: WebSocket) => void) | undefined;

  readonly #startedAt = Date.now();
  #state: State = 'pending';
  /** Set once ws takes the socket: from then on HTTP can never be written to it. */
  #handshaking = false;
  #timer: NodeJS.Timeout | undefined;
  /** The handshakeTimeout the upgrade runs with (the timer's, once armed). */
  #armedFor: number;
  /** Set by `_watch`: the socket's 'close'/'end' listener, while the upgrade waits. */
  #onLeft: (() => void) | undefined;

  /** @internal created by the gate */
  constructor(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    client: ClientInfo,
    ipKey: string,
    host: UpgradeHost<TUser>,
    timeout: number,
  ) {
    this.req = req;
    (req as MarkedRequest)[kUpgrade] = this as PreparedUpgrade<unknown>;
    this._url = req.url ?? '/';
    this._socket = socket;
    this._head = head;
    this.client = client;
    this.ipKey = ipKey;
    this._host = host;
    // Watched (deadline, client leaving) only once the code that prepared it returns with it still
    // pending: see `_watch`.
    this.#armedFor = timeout;
  }

  /**
   * @internal As the code that prepared it returns (dispatch, `gate.prepare()`), one still waiting gets its
   * deadline and hears the client leave; one answered in that run (most) needs neither. None is missed:
   * 'close' and 'end' come later, and an ended socket is seen here. */
  _watch(): void {
    if (this.#onLeft !== undefined || this.#handshaking) return;
    if (this.#state !== 'pending' && this.#state !== 'accepting') return;
    const socket = this._socket;
    if (socket.destroyed || socket.readableEnded) {
      this.#left();
      return;
    }
    // on(), not once(): once() wraps each listener in two more objects, and _finish removes both anyway.
    this.#onLeft = () => this.#left();
    socket.on('close', this.#onLeft);
    socket.on('end', this.#onLeft);
    this.#arm(this.#armedFor); // from now: the synchronous run before it cannot hang
  }

  /**
   * The upgrade a request belongs to, from `gate.prepare()` on; undefined for plain HTTP. What an adapter's
   * route handler uses to tell an upgrade from a page request (frameworks keep the request object through
   * routers and sub-apps), whichever gate prepared it.
   */
  static of<TUser = unknown>(req: IncomingMessage): PreparedUpgrade<TUser> | undefined {
    return (req as MarkedRequest)[kUpgrade] as PreparedUpgrade<TUser> | undefined;
  }

  /** Whether the upgrade is still waiting for `accept` or `reject`. */
  get pending(): boolean {
    return this.#state === 'pending';
  }

  /**
   * An `http.ServerResponse` bound to the raw socket, for the framework to answer into. `Connection:
   * close`; the socket ends when it finishes; inert after the 101.
   */
  get response(): ServerResponse {
    this._bound ??= new BoundResponse(this.req, this._socket, (status) => {
      const reason = 'answered by the framework';
      if (this._finish(null, status, reason)) this._host.refuse(this.req, { status, reason });
    });
    return this._bound.res;
  }

  /** Refuses the upgrade with an HTTP status and a short reason, and closes the socket. */
  reject(
    status: number,
    reason?: string,
    headers?: Record<string, string | number | readonly string[]>,
  ): void {
    if (this.#state === 'done' || this.#state === 'open' || this.#handshaking) return;
    const refusal = { status, reason: reason ?? defaultReason(status), headers };
    if (this._bound?.started) {
      // The framework is mid-response; we cannot write a second status line.
      this._socket.destroy();
      if (this._finish(null, status, refusal.reason)) this._host.refuse(this.req, refusal);
      return;
    }
    this._bound?.inert();
    if (this._finish(null, status, refusal.reason)) this._host.refuse(this.req, refusal, this._socket);
  }

  /**
   * Runs the route-level checks (Origin for the route, `authenticate`), selects the subprotocol, completes
   * the handshake and calls the handler. Resolves with the session once the handler has been called;
   * rejects with {@link UpgradeAbortedError} (never hangs) when the upgrade was refused, timed out, or the
   * client left, in which case the client has already been answered.
   */
  accept<TContext>(
    handler: Handler<TUser, TContext>,
    options: AcceptOptions<TUser, TContext>,
  ): Promise<Session<TUser>> {
    // Never a synchronous throw into the caller's 'upgrade' listener, even if reporting throws.
    try {
      const result = this._accept(handler, options);
      return result instanceof Session ? Promise.resolve(result) : result;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * @internal `accept` without a promise when the handshake completes synchronously (no `authenticate`
   * promise), for the gate's own routes and the adapter kit: the session, else a promise of it; throws
   * (or rejects with) what `accept` rejects with.
   */
  _accept<TContext>(
    handler: Handler<TUser, TContext>,
    options: AcceptOptions<TUser, TContext>,
  ): Session<TUser> | Promise<Session<TUser>> {
    if (typeof handler !== 'function') throw new TypeError('wsgate: accept() needs a handler function');
    if (this.#state !== 'pending')
      throw new UpgradeAbortedError(0, `upgrade is no longer pending (${this.#state})`);
    this.#state = 'accepting';
    this.route = options.route; // for telemetry (the gate's 'handshake' event)
    // Synchronous from here to the session unless `authenticate` answers with a promise: no await between
    // ws's 101 and the session's listeners, so frames that came with the request (`head`, which ws hands
    // over on a nextTick) cannot arrive before the session listens, and nothing needs pausing.
    let result: Session<TUser> | Promise<Session<TUser>>;
    try {
      result = this.#accept(handler, options);
    } catch (err) {
      throw this.#failed(err);
    }
    if (result instanceof Session) return result;
    return result.then(undefined, (err: unknown) => {
      throw this.#failed(err);
    });
  }

  /** What `accept` rejects with; a throwing user callback (origins or protocols function) is answered 500. */
  #failed(err: unknown): unknown {
    if (err instanceof UpgradeAbortedError) return err;
    this._host.report(err, 'upgrade', undefined, this.req);
    this.reject(500, 'Internal Server Error');
    return new UpgradeAbortedError(500, 'internal error during the upgrade');
  }

  #accept<TContext>(
    handler: Handler<TUser, TContext>,
    options: AcceptOptions<TUser, TContext>,
  ): Session<TUser> | Promise<Session<TUser>> {
    const settings = this._host.settings(options.options);
    const req = this.req;
    // Re-armed only for a route with its own timeout: a timer per handshake is enough.
    if (settings.handshakeTimeout !== this.#armedFor) {
      this.#armedFor = settings.handshakeTimeout;
      if (this.#timer !== undefined) this.#arm(settings.handshakeTimeout - (Date.now() - this.#startedAt));
    }

    // Route-level part of step 5.
    if (
      this.originRefusal !== null ||
      options.options?.origins !== undefined ||
      options.options?.requireOrigin !== undefined
    ) {
      const refusal = checkOrigin(settings.origins, settings.requireOrigin, req, this.client);
      if (refusal) return this._refuse(403, refusal);
    }

    // What the session is opened with; `authenticate` may still set the user, the hand-over the protocol.
    const opening = {
      handler,
      options,
      settings,
      user: options.user,
      protocol: '',
      session: undefined,
      host: this._host,
      req,
    } as Opening<TUser, unknown>;
    // Step 6: authenticate (authenticate.ts), then step 7, the hand-over to ws (accept.ts).
    return settings.authenticate ? authenticate(this, opening) : open(this, opening);
  }

  /** @internal Whether `accept` is under way (not yet handed over, refused, timed out or left). */
  get _accepting(): boolean {
    return this.#state === 'accepting';
  }

  /** @internal ws takes the socket now (accept.ts): no HTTP answer from here, and leaving is ws's to see. */
  _handOver(): void {
    this.#handshaking = true;
    if (this.#onLeft) {
      this._socket.off('close', this.#onLeft);
      this._socket.off('end', this.#onLeft);
    }
  }

  /** @internal Refuses (see `reject`) and throws what `accept` rejects with. */
  _refuse(status: number, reason: string, headers?: Record<string, string>): never {
    this.reject(status, reason, headers);
    throw new UpgradeAbortedError(status, reason);
  }

  #arm(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        if (this.#state !== 'pending' && this.#state !== 'accepting') return;
        authAbandoned(this, 503, 'handshake timed out');
        this.reject(503, 'WebSocket handshake timed out', { 'Retry-After': '1' });
      },
      Math.max(0, ms),
    );
    this.#timer.unref();
  }

  #left(): void {
    if (this.#state !== 'pending' && this.#state !== 'accepting') return;
    authAbandoned(this, 0, 'the client left before the handshake completed');
    this._bound?.inert();
    this._socket.destroy();
    this._finish(null, 0);
  }

  /**
   * @internal Releases everything the pending upgrade held, exactly once (true the first time), and tells
   * the gate how it ended: 101, the refusal's status, or 0 when the client left.
   */
  _finish(session: Session<TUser> | null, status: number, reason = ''): boolean {
    if (this.#state === 'done' || this.#state === 'open') return false;
    this.#state = session ? 'open' : 'done';
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#onLeft) {
      this._socket.off('close', this.#onLeft);
      this._socket.off('end', this.#onLeft);
      this.#onLeft = undefined;
    }
    this._host.released(this, session, status, reason);
    return true;
  }
}
