import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { startExpiry, takeExpiry } from '../contracts/expiry.js';
import type { RouteOptions, Settings } from '../options.js';
import type { Params } from '../routes/router.js';
import { type Message, type SendData, Session } from '../session/session.js';
import { BoundResponse } from './bound-response.js';
import { defaultReason, errorAnswer } from './http-error.js';
import { checkOrigin } from './origin.js';
import type { ClientInfo } from './proxy.js';
import type { Refusal } from './refusal.js';
import { type HandlerQueue, isThenable, type Opening } from './run-handler.js';

/**
 * A WebSocket handler: called once per session, after the 101. A throw or rejection closes it with 1011.
 * `TParams` types `session.params`; routes infer it from their path (see `RouteParams`). `TMessage` and
 * `TSend` come from the route's `message` and `send` schemas (contracts).
 */
export type Handler<
  TUser = unknown,
  TContext = IncomingMessage,
  TParams extends object = Params,
  TMessage = Message,
  TSend = SendData,
> = (session: Session<TUser, TParams, TMessage, TSend>, context: TContext) => unknown;

/** What an adapter tells {@link PreparedUpgrade.accept} about the route its framework matched. */
export interface AcceptOptions<TUser, TContext> {
  /** Passed to the handler as its second argument (the framework's request or context). */
  context: TContext;
  /** Route params. @default {} */
  params?: Params | undefined;
  /** The route pattern, for stats and logs. @default the request path */
  route?: string | undefined;
  /** Route-level options (origins, authenticate, protocols, maxPayload, ...). */
  options?: RouteOptions<TUser> | undefined;
  /** The framework's user (`req.user`, `ctx.state.user`), used when there is no `authenticate`. */
  user?: TUser | undefined;
  /**
   * The request target as the client sent it, for `session.url` and `session.query`: frameworks rewrite
   * `req.url` inside mounted routers (Express's `req.originalUrl`, Koa's `ctx.originalUrl` keep it).
   * @default `req.url` as it was when the upgrade was prepared
   */
  url?: string | undefined;
}

/** Raised by `accept` when the upgrade did not complete; the client has already been answered. */
export class UpgradeAbortedError extends Error {
  /** The HTTP status the client was sent, or 0 when the client left first. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'UpgradeAbortedError';
    this.status = status;
  }
}

/** What a PreparedUpgrade needs from its gate. @internal */
export interface UpgradeHost<TUser> {
  settings(options: RouteOptions<TUser> | undefined): Settings<TUser>;
  wss(settings: Settings<TUser>): WebSocketServer;
  handshakeInfo: WeakMap<IncomingMessage, { protocol: string; headers: OutgoingHttpHeaders }>;
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
 * property rather than a WeakMap entry: a WeakMap insert per upgrade costs more than the handshake's own
 * checks, and every GC has to walk its entries.
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

  readonly #socket: Duplex;
  readonly #head: Buffer;
  readonly #host: UpgradeHost<TUser>;
  readonly #startedAt = Date.now();
  /** The request target as received, before any framework router rewrites `req.url`. */
  readonly #url: string;
  #state: State = 'pending';
  /** Set once ws takes the socket: from then on HTTP can never be written to it. */
  #handshaking = false;
  #bound: BoundResponse | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The handshakeTimeout the timer was armed with. */
  #armedFor: number;
  #abort: AbortController | undefined;
  #onLeft: (() => void) | undefined;
  #leftWaiters: Array<(err: UpgradeAbortedError) => void> | undefined;
  /** The socket ws has just upgraded (its callback runs inside `handleUpgrade`). */
  #raw: WebSocket | undefined;
  /** Set while waiting for a ws callback that did not come synchronously. */
  #late: ((raw: WebSocket) => void) | undefined;

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
    this.#url = req.url ?? '/';
    this.#socket = socket;
    this.#head = head;
    this.client = client;
    this.ipKey = ipKey;
    this.#host = host;
    // on(), not once(): once() wraps each listener in two more objects, and #finish removes both anyway.
    this.#onLeft = () => this.#left();
    socket.on('close', this.#onLeft);
    socket.on('end', this.#onLeft);
    this.#arm(timeout);
    this.#armedFor = timeout;
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
    this.#bound ??= new BoundResponse(this.req, this.#socket, (status) => {
      const reason = 'answered by the framework';
      if (this.#finish(null, status, reason)) this.#host.refuse(this.req, { status, reason });
    });
    return this.#bound.res;
  }

  /** Refuses the upgrade with an HTTP status and a short reason, and closes the socket. */
  reject(
    status: number,
    reason?: string,
    headers?: Record<string, string | number | readonly string[]>,
  ): void {
    if (this.#state === 'done' || this.#state === 'open' || this.#handshaking) return;
    const refusal = { status, reason: reason ?? defaultReason(status), headers };
    if (this.#bound?.started) {
      // The framework is mid-response; we cannot write a second status line.
      this.#socket.destroy();
      if (this.#finish(null, status, refusal.reason)) this.#host.refuse(this.req, refusal);
      return;
    }
    this.#bound?.inert();
    if (this.#finish(null, status, refusal.reason)) this.#host.refuse(this.req, refusal, this.#socket);
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
    if (typeof handler !== 'function')
      return Promise.reject(new TypeError('wsgate: accept() needs a handler function'));
    if (this.#state !== 'pending')
      return Promise.reject(new UpgradeAbortedError(0, `upgrade is no longer pending (${this.#state})`));
    this.#state = 'accepting';
    this.route = options.route; // for telemetry (the gate's 'handshake' event)
    // Synchronous from here to the session unless `authenticate` answers with a promise: no await between
    // ws's 101 and the session's listeners, so frames that came with the request (`head`, which ws hands
    // over on a nextTick) cannot arrive before the session listens, and nothing needs pausing.
    try {
      const result = this.#accept(handler, options);
      if (result instanceof Session) return Promise.resolve(result);
      return result.then(undefined, (err: unknown) => {
        throw this.#failed(err);
      });
    } catch (err) {
      // Never a synchronous throw into the caller's 'upgrade' listener, even if reporting throws.
      try {
        return Promise.reject(this.#failed(err));
      } catch (inner) {
        return Promise.reject(inner);
      }
    }
  }

  /** What `accept` rejects with; a throwing user callback (origins or protocols function) is answered 500. */
  #failed(err: unknown): unknown {
    if (err instanceof UpgradeAbortedError) return err;
    this.#host.report(err, 'upgrade', undefined, this.req);
    this.reject(500, 'Internal Server Error');
    return new UpgradeAbortedError(500, 'internal error during the upgrade');
  }

  #accept<TContext>(
    handler: Handler<TUser, TContext>,
    options: AcceptOptions<TUser, TContext>,
  ): Session<TUser> | Promise<Session<TUser>> {
    const settings = this.#host.settings(options.options);
    const req = this.req;
    // Re-armed only for a route with its own timeout: a timer per handshake is enough.
    if (settings.handshakeTimeout !== this.#armedFor) {
      this.#arm(settings.handshakeTimeout - (Date.now() - this.#startedAt));
      this.#armedFor = settings.handshakeTimeout;
    }

    // Route-level part of step 5.
    if (
      this.originRefusal !== null ||
      options.options?.origins !== undefined ||
      options.options?.requireOrigin !== undefined
    ) {
      const refusal = checkOrigin(settings.origins, settings.requireOrigin, req, this.client);
      if (refusal) return this.#refuse(403, refusal);
    }

    // Step 6: authenticate.
    if (!settings.authenticate) return this.#open(handler, options, settings, options.user);
    let answer: ReturnType<NonNullable<Settings<TUser>['authenticate']>>;
    try {
      // The signal (an EventTarget, costly to make) exists only if authenticate reads it, and a
      // synchronous answer skips the race: most checks are a header or cookie lookup.
      answer = settings.authenticate(req, this.#authInfo());
    } catch (err) {
      return this.#authFailed(err);
    }
    if (!isThenable(answer))
      return this.#authenticated(answer as Awaited<typeof answer>, handler, options, settings);
    return Promise.race([answer, this.#whenLeft()]).then(
      (result) => this.#authenticated(result, handler, options, settings),
      (err: unknown) => this.#authFailed(err),
    );
  }

  #authFailed(err: unknown): never {
    if (err instanceof UpgradeAbortedError) throw err;
    if (this.#state !== 'accepting') throw new UpgradeAbortedError(0, 'upgrade ended during authenticate');
    const answer = errorAnswer(err);
    if (!answer.expected) this.#host.report(err, 'authenticate', undefined, this.req);
    return this.#refuse(answer.status, answer.message, answer.headers);
  }

  #authenticated<TContext>(
    result: Awaited<ReturnType<NonNullable<Settings<TUser>['authenticate']>>>,
    handler: Handler<TUser, TContext>,
    options: AcceptOptions<TUser, TContext>,
    settings: Settings<TUser>,
  ): Session<TUser> | Promise<Session<TUser>> {
    if (this.#state !== 'accepting') throw new UpgradeAbortedError(0, 'upgrade ended during authenticate');
    if (result === undefined || result === null || result === false) {
      return this.#refuse(401, 'Authentication required', {
        'WWW-Authenticate': 'Bearer realm="websocket"',
      });
    }
    // An `expiring(user, at)` answer: the user, and when the session must close (contracts/expiry.ts).
    return this.#open(handler, options, settings, takeExpiry(result, this.req));
  }

  /** Step 7: subprotocol, then ws completes the handshake with the pipeline's headers on the 101. */
  #open<TContext>(
    handler: Handler<TUser, TContext>,
    options: AcceptOptions<TUser, TContext>,
    settings: Settings<TUser>,
    user: TUser | undefined,
  ): Session<TUser> | Promise<Session<TUser>> {
    const req = this.req;
    const protocol = selectProtocol(settings, req);
    if (protocol === false) return this.#refuse(400, 'No supported subprotocol offered');
    const headers = this.#bound ? this.#bound.capture() : undefined;
    // Read by the gate's ws hooks; absent means no subprotocol and no extra header, as an empty entry would.
    if (protocol !== '' || (headers !== undefined && hasKeys(headers)))
      this.#host.handshakeInfo.set(req, { protocol, headers: headers ?? {} });
    const wss = this.#host.wss(settings);
    const socket = this.#socket;
    this.#handshaking = true;
    if (this.#onLeft) {
      socket.off('close', this.#onLeft);
      socket.off('end', this.#onLeft);
    }
    const opening = {
      handler,
      options,
      settings,
      user,
      protocol,
      session: undefined,
      host: this.#host,
      req,
    } as Opening<TUser, unknown>;
    try {
      wss.handleUpgrade(req, socket, this.#head, onUpgraded);
    } catch (err) {
      socket.destroy();
      const reason = 'Internal Server Error';
      if (this.#finish(null, 500, reason)) this.#host.refuse(req, { status: 500, reason });
      throw err;
    }
    const raw = this.#raw;
    if (raw) {
      this.#raw = undefined;
      return this.#opened(raw, opening);
    }
    // ws did not call back: it destroyed a socket that had already ended, or answered a bad extension
    // offer itself; both end here. (Should a ws version ever call back later, the session opens then.)
    return new Promise((resolve, reject) => {
      const onClose = () => {
        this.#late = undefined;
        // ws answered a bad extension offer itself (400), or the socket had already ended.
        const reason = 'ws refused the handshake';
        if (this.#finish(null, 400, reason)) this.#host.refuse(req, { status: 400, reason });
        reject(new UpgradeAbortedError(0, 'the client left during the handshake'));
      };
      this.#late = (ws) => {
        this.#late = undefined;
        socket.off('close', onClose);
        try {
          resolve(this.#opened(ws, opening));
        } catch (err) {
          reject(err);
        }
      };
      socket.once('close', onClose);
    });
  }

  /** @internal ws's handshake callback for this upgrade (see `onUpgraded`). */
  static _upgraded(upgrade: PreparedUpgrade<unknown>, raw: WebSocket): void {
    if (upgrade.#late) upgrade.#late(raw);
    else upgrade.#raw = raw;
  }

  /** Step 8: the session, created in the same turn as ws's 101. */
  #opened(raw: WebSocket, o: Opening<TUser, unknown>): Session<TUser> {
    const req = this.req;
    const url = o.options.url ?? this.#url;
    const session = new Session<TUser>(raw, {
      params: o.options.params ?? {},
      user: o.user,
      protocol: o.protocol,
      remoteAddress: this.client.ip,
      headers: req.headers,
      url,
      route: o.options.route ?? pathOf(url),
      settings: o.settings,
      host: this.#host.sessionHost,
    });
    this.#finish(session, 101);
    this.#host.opened(session);
    startExpiry(session as Session<unknown>, req); // when authenticate said the credential expires
    try {
      this.#bound?.finish();
    } catch (err) {
      this.#host.report(err, 'upgrade', session, req);
    }
    // The handler runs right after the code that called accept() (as it did when accept() awaited the
    // handshake): an adapter finishes its own bookkeeping first, and the session already listens, so
    // frames that arrive meanwhile are queued.
    o.session = session;
    this.#host.handlers.add(o as Opening<unknown, unknown>);
    return session;
  }

  #refuse(status: number, reason: string, headers?: Record<string, string>): never {
    this.reject(status, reason, headers);
    throw new UpgradeAbortedError(status, reason);
  }

  #authInfo(): { readonly signal: AbortSignal } {
    const self = this;
    return {
      get signal() {
        self.#abort ??= new AbortController();
        return self.#abort.signal;
      },
    };
  }

  #whenLeft(): Promise<never> {
    return new Promise((_, reject) => {
      this.#leftWaiters ??= [];
      this.#leftWaiters.push(reject);
    });
  }

  #arm(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        if (this.#state !== 'pending' && this.#state !== 'accepting') return;
        this.#abort?.abort();
        this.reject(503, 'WebSocket handshake timed out', { 'Retry-After': '1' });
        for (const fail of this.#leftWaiters?.splice(0) ?? [])
          fail(new UpgradeAbortedError(503, 'handshake timed out'));
      },
      Math.max(0, ms),
    );
    this.#timer.unref();
  }

  #left(): void {
    if (this.#state !== 'pending' && this.#state !== 'accepting') return;
    this.#abort?.abort();
    this.#bound?.inert();
    this.#socket.destroy();
    this.#finish(null, 0);
    for (const fail of this.#leftWaiters?.splice(0) ?? [])
      fail(new UpgradeAbortedError(0, 'the client left before the handshake completed'));
  }

  /**
   * Releases everything the pending upgrade held, exactly once (true the first time), and tells the gate
   * how it ended: 101, the refusal's status, or 0 when the client left.
   */
  #finish(session: Session<TUser> | null, status: number, reason = ''): boolean {
    if (this.#state === 'done' || this.#state === 'open') return false;
    this.#state = session ? 'open' : 'done';
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#onLeft) {
      this.#socket.off('close', this.#onLeft);
      this.#socket.off('end', this.#onLeft);
      this.#onLeft = undefined;
    }
    this.#host.released(this, session, status, reason);
    return true;
  }
}

/** ws's handshake callback, shared by every upgrade: ws passes the request, which leads to its upgrade. */
function onUpgraded(raw: WebSocket, req: IncomingMessage): void {
  const upgrade = (req as MarkedRequest)[kUpgrade];
  if (upgrade) PreparedUpgrade._upgraded(upgrade, raw);
}

/** The path of a request target, without the query. */
function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function hasKeys(object: object): boolean {
  for (const _ in object) return true;
  return false;
}

/** Picks the subprotocol: '' when none applies, false to refuse. */
function selectProtocol<TUser>(settings: Settings<TUser>, req: IncomingMessage): string | false {
  const raw = req.headers['sec-websocket-protocol'];
  const supported = settings.protocols;
  if (supported === undefined || raw === undefined) return '';
  const offered = String(raw)
    .split(',')
    .map((s) => s.trim());
  if (typeof supported === 'function') {
    const choice = supported(offered, req);
    if (choice === false) return false;
    if (!offered.includes(choice))
      throw new TypeError(`wsgate: protocols() returned '${choice}', which the client did not offer`);
    return choice;
  }
  return supported.find((p) => offered.includes(p)) ?? false;
}
