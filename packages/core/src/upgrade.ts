import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { BoundResponse } from './bound-response.js';
import { CloseCode } from './close-codes.js';
import { errorAnswer } from './http-error.js';
import type { RouteOptions, Settings } from './options.js';
import { checkOrigin } from './origin.js';
import type { ClientInfo } from './proxy.js';
import { writeRejection } from './reject.js';
import type { Params } from './router.js';
import { Session } from './session.js';

/** A WebSocket handler: called once per session, after the 101. A throw or rejection closes it with 1011. */
export type Handler<TUser = unknown, TContext = IncomingMessage> = (
  session: Session<TUser>,
  context: TContext,
) => unknown;

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
  released(
    upgrade: PreparedUpgrade<TUser>,
    opened: Session<TUser> | null,
    status: number,
    reason: string,
  ): void;
  opened(session: Session<TUser>): void;
  report(err: unknown, phase: string, session?: Session<TUser>, req?: IncomingMessage): void;
  sessionHost: ConstructorParameters<typeof Session>[1]['host'];
}

type State = 'pending' | 'accepting' | 'open' | 'done';

/** Every live upgrade by its request, so a framework's route handler can find the one it is serving. */
const byRequest = new WeakMap<IncomingMessage, PreparedUpgrade<unknown>>();

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
  #leftWaiters: Array<(err: UpgradeAbortedError) => void> = [];

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
    byRequest.set(req, this as PreparedUpgrade<unknown>);
    this.#url = req.url ?? '/';
    this.#socket = socket;
    this.#head = head;
    this.client = client;
    this.ipKey = ipKey;
    this.#host = host;
    this.#onLeft = () => this.#left();
    socket.once('close', this.#onLeft);
    socket.once('end', this.#onLeft);
    this.#arm(timeout);
    this.#armedFor = timeout;
  }

  /**
   * The upgrade a request belongs to, from `gate.prepare()` on; undefined for plain HTTP. What an adapter's
   * route handler uses to tell an upgrade from a page request (frameworks keep the request object through
   * routers and sub-apps), whichever gate prepared it.
   */
  static of<TUser = unknown>(req: IncomingMessage): PreparedUpgrade<TUser> | undefined {
    return byRequest.get(req) as PreparedUpgrade<TUser> | undefined;
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
    this.#bound ??= new BoundResponse(this.req, this.#socket, (status) =>
      this.#finish(null, status, 'answered by the framework'),
    );
    return this.#bound.res;
  }

  /** Refuses the upgrade with an HTTP status and a short reason, and closes the socket. */
  reject(
    status: number,
    reason?: string,
    headers?: Record<string, string | number | readonly string[]>,
  ): void {
    if (this.#state === 'done' || this.#state === 'open' || this.#handshaking) return;
    if (this.#bound?.started) {
      // The framework is mid-response; we cannot write a second status line.
      this.#socket.destroy();
      this.#finish(null, status);
      return;
    }
    this.#bound?.inert();
    this.#finish(null, status, reason);
    writeRejection(this.#socket, status, reason, headers);
  }

  /**
   * Runs the route-level checks (Origin for the route, `authenticate`), selects the subprotocol, completes
   * the handshake and calls the handler. Resolves with the session once the handler has been called;
   * rejects with {@link UpgradeAbortedError} (never hangs) when the upgrade was refused, timed out, or the
   * client left, in which case the client has already been answered.
   */
  async accept<TContext>(
    handler: Handler<TUser, TContext>,
    options: AcceptOptions<TUser, TContext>,
  ): Promise<Session<TUser>> {
    if (typeof handler !== 'function') throw new TypeError('wsgate: accept() needs a handler function');
    if (this.#state !== 'pending')
      throw new UpgradeAbortedError(0, `upgrade is no longer pending (${this.#state})`);
    this.#state = 'accepting';
    try {
      return await this.#accept(handler, options);
    } catch (err) {
      if (err instanceof UpgradeAbortedError) throw err;
      // A throwing user callback (origins or protocols function) is answered, never left hanging.
      this.#host.report(err, 'upgrade', undefined, this.req);
      this.reject(500, 'Internal Server Error');
      throw new UpgradeAbortedError(500, 'internal error during the upgrade');
    }
  }

  async #accept<TContext>(
    handler: Handler<TUser, TContext>,
    options: AcceptOptions<TUser, TContext>,
  ): Promise<Session<TUser>> {
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
    let user = options.user;
    if (settings.authenticate) {
      let result: Awaited<ReturnType<NonNullable<Settings<TUser>['authenticate']>>>;
      try {
        // The signal (an EventTarget, costly to make) exists only if authenticate reads it, and a
        // synchronous answer skips the race: most checks are a header or cookie lookup.
        const answer = settings.authenticate(req, this.#authInfo());
        result = isThenable(answer)
          ? await Promise.race([answer, this.#whenLeft()])
          : (answer as typeof result);
      } catch (err) {
        if (err instanceof UpgradeAbortedError) throw err;
        if (this.#state !== 'accepting')
          throw new UpgradeAbortedError(0, 'upgrade ended during authenticate');
        const answer = errorAnswer(err);
        if (!answer.expected) this.#host.report(err, 'authenticate', undefined, req);
        return this.#refuse(answer.status, answer.message, answer.headers);
      }
      if (this.#state !== 'accepting') throw new UpgradeAbortedError(0, 'upgrade ended during authenticate');
      if (result === undefined || result === null || result === false) {
        return this.#refuse(401, 'Authentication required', {
          'WWW-Authenticate': 'Bearer realm="websocket"',
        });
      }
      user = result;
    }

    // Step 7: subprotocol, then ws completes the handshake with the pipeline's headers on the 101.
    const protocol = selectProtocol(settings, req);
    if (protocol === false) return this.#refuse(400, 'No supported subprotocol offered');
    const headers = this.#bound ? this.#bound.capture() : {};
    this.#host.handshakeInfo.set(req, { protocol, headers });
    const raw = await this.#handshake(this.#host.wss(settings));

    // Step 8: the session.
    const session = new Session<TUser>(raw, {
      params: options.params ?? {},
      user,
      protocol,
      remoteAddress: this.client.ip,
      headers: req.headers,
      url: options.url ?? this.#url,
      route: options.route ?? (options.url ?? this.#url).split('?')[0]!,
      settings,
      host: this.#host.sessionHost,
    });
    raw.resume(); // paused in #handshake until the session listens
    this.#finish(session, 101);
    this.#host.opened(session);
    try {
      this.#bound?.finish();
    } catch (err) {
      this.#host.report(err, 'upgrade', session, req);
    }
    runHandler(handler, session, options.context, this.#host, req);
    return session;
  }

  #handshake(wss: WebSocketServer): Promise<WebSocket> {
    const socket = this.#socket;
    this.#handshaking = true;
    if (this.#onLeft) {
      socket.off('close', this.#onLeft);
      socket.off('end', this.#onLeft);
    }
    return new Promise((resolve, reject) => {
      // ws destroys a socket that has already ended and answers bad extension offers itself; both end here.
      const onClose = () => {
        this.#finish(null, 400);
        reject(new UpgradeAbortedError(0, 'the client left during the handshake'));
      };
      socket.once('close', onClose);
      try {
        wss.handleUpgrade(this.req, socket, this.#head, (ws) => {
          socket.off('close', onClose);
          // Frames that came with the request (`head`) flow on a nextTick, which runs before the promise
          // continuation that creates the Session when the upgrade started in an I/O callback: hold them.
          ws.pause();
          resolve(ws);
        });
      } catch (err) {
        socket.off('close', onClose);
        socket.destroy();
        this.#finish(null, 500);
        reject(err);
      }
    });
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
    return new Promise((_, reject) => this.#leftWaiters.push(reject));
  }

  #arm(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        if (this.#state !== 'pending' && this.#state !== 'accepting') return;
        this.#abort?.abort();
        this.reject(503, 'WebSocket handshake timed out', { 'Retry-After': '1' });
        for (const fail of this.#leftWaiters.splice(0))
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
    for (const fail of this.#leftWaiters.splice(0))
      fail(new UpgradeAbortedError(0, 'the client left before the handshake completed'));
  }

  /** Releases everything the pending upgrade held, exactly once. */
  #finish(session: Session<TUser> | null, status: number, reason = ''): void {
    if (this.#state === 'done' || this.#state === 'open') return;
    this.#state = session ? 'open' : 'done';
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#onLeft) {
      this.#socket.off('close', this.#onLeft);
      this.#socket.off('end', this.#onLeft);
      this.#onLeft = undefined;
    }
    this.#host.released(this, session, status, reason);
  }
}

function runHandler<TUser, TContext>(
  handler: Handler<TUser, TContext>,
  session: Session<TUser>,
  context: TContext,
  host: UpgradeHost<TUser>,
  req: IncomingMessage,
): void {
  const fail = (err: unknown) => {
    host.report(err, 'handler', session, req);
    if (session.readyState === 1) session.close(CloseCode.internalError, 'Internal error');
    session._markReady();
  };
  try {
    const result = handler(session, context);
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(() => session._markReady(), fail);
    } else {
      session._markReady();
    }
  } catch (err) {
    fail(err);
  }
}

/** Picks the subprotocol: '' when none applies, false to refuse. */
function selectProtocol<TUser>(settings: Settings<TUser>, req: IncomingMessage): string | false {
  const raw = req.headers['sec-websocket-protocol'];
  const offered =
    raw === undefined
      ? []
      : String(raw)
          .split(',')
          .map((s) => s.trim());
  const supported = settings.protocols;
  if (supported === undefined || offered.length === 0) return '';
  if (typeof supported === 'function') {
    const choice = supported(offered, req);
    if (choice === false) return false;
    if (!offered.includes(choice))
      throw new TypeError(`wsgate: protocols() returned '${choice}', which the client did not offer`);
    return choice;
  }
  return supported.find((p) => offered.includes(p)) ?? false;
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<T>).then === 'function';
}
