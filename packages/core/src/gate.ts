import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { AsyncApiDocument, AsyncApiOptions } from './contracts/asyncapi.js';
import type { ContractOptions, MessageOf, SendOf } from './contracts/contract.js';
import { DescribedRoutes } from './contracts/described-routes.js';
import type { CloseOptions, GateEvents } from './gate-events.js';
import { GateUpgradeHost } from './gate-hosts.js';
import { injectBridge } from './http2/inject-bridge.js';
import { type AnyHttp2Server, isHttp2Server, listenHttp2 } from './http2/listen.js';
import { consoleLogger, type Logger } from './logger.js';
import {
  defaultRefusalLogLevel,
  type GateOptions,
  type RouteOptions,
  type Settings,
  validateGateOptions,
} from './options.js';
import { Reporter } from './report.js';
import { routeArgs } from './routes/route-args.js';
import type { RouteParams } from './routes/route-params.js';
import { RouteSettings } from './routes/route-settings.js';
import { canonicalTarget, RouteTable, splitUrl } from './routes/router.js';
import { Heartbeat } from './session/heartbeat.js';
import type { SendData, Session } from './session/session.js';
import { SessionSet } from './session/sessions.js';
import { Shutdown } from './shutdown/shutdown.js';
import { type GateStats, StatsCounter } from './stats.js';
import { type Broker, memoryBroker, type PresenceMember } from './topics/broker.js';
import type { HistoryPage, Position } from './topics/positions.js';
import { Topics } from './topics/topics.js';
import { Admission } from './upgrade/admission.js';
import { checkUpgradeRequest } from './upgrade/handshake.js';
import { checkHost, type HostMemo } from './upgrade/hosts.js';
import { errorAnswer } from './upgrade/http-error.js';
import { afterInFlight } from './upgrade/in-flight.js';
import { type InjectOptions, inject } from './upgrade/inject.js';
import { checkOrigin } from './upgrade/origin.js';
import { type Handler, PreparedUpgrade } from './upgrade/prepared-upgrade.js';
import { clientInfo, compileTrust, ipKey, type TrustFn } from './upgrade/proxy.js';
import { peerAddress, type Refusal, RefusalPath } from './upgrade/refusal.js';
import { writeRejection } from './upgrade/reject.js';
import { guard, loopbackBound, take, taken } from './upgrade/socket-guard.js';
import { WsServers } from './upgrade/ws-servers.js';

export type { CloseOptions, GateEvents } from './gate-events.js';

/** The handler of `gate.route(path, handler)`: the Node request, and `session.params` typed from `TPath`. */
type RouteHandler<TUser, TPath extends string> = Handler<TUser, IncomingMessage, RouteParams<TPath>>;

interface Route<TUser> {
  handler: Handler<TUser, IncomingMessage>;
  options: RouteOptions<TUser> | undefined;
}

const noop = (): void => {};

/**
 * The WebSocket gate: one per app. Owns the upgrade pipeline, the sessions, topics, heartbeat and
 * shutdown. Create it with {@link createGate}; adapters create it for you.
 */
export class Gate<TUser = unknown> extends EventEmitter<GateEvents<TUser>> {
  /** The live sessions. */
  readonly sessions = new SessionSet<TUser>();
  /** The options the gate was created with (validated). */
  readonly options: Readonly<GateOptions<TUser>>;
  /** The logger in use. */
  readonly logger: Logger;

  readonly #settings: RouteSettings<TUser>;
  readonly #routes = new RouteTable<Route<TUser>>();
  /** `runFramework` bound once, not a closure per upgrade. */
  readonly #runFramework = (upgrade: PreparedUpgrade<TUser>): void => this.runFramework?.(upgrade);
  readonly #ws = new WsServers(() => this.options.closeTimeout ?? 5_000);
  readonly #attached = new Map<Server | AnyHttp2Server, { detach: () => void }>();
  readonly #loopback = new WeakMap<object, boolean>();
  readonly #hostMemo: HostMemo = {};
  readonly #stats = new StatsCounter();
  /** Routes for `asyncapi()`: core's own, and those adapters declare. */
  readonly #described = new DescribedRoutes();
  readonly #trust: TrustFn;
  readonly #reporter: Reporter<TUser>;
  readonly #refusals: RefusalPath;
  readonly #broker: Broker;
  readonly #topics: Topics;
  readonly #heartbeat: Heartbeat | undefined;
  readonly #shutdown: Shutdown<TUser>;
  readonly #upgradeHost: GateUpgradeHost<TUser>;
  readonly #admission: Admission<TUser>;
  #injectServer: Server | undefined;
  /** The route core-alone matched, while its `prepare` runs (the 'handshake' event's `route`). */
  #matchedRoute: string | undefined;

  constructor(options: GateOptions<TUser> = {}) {
    super();
    validateGateOptions(options as GateOptions<unknown>);
    // An adapter's gate sends every upgrade through its framework, whose router answers asynchronously
    // (its 404 when nothing upgrades): the socket can never be handed back, so 'ignore' would be a lie.
    if (options.unmatched === 'ignore' && this.runFramework !== undefined) {
      throw new TypeError(
        "wsgate: unmatched: 'ignore' is not supported by a framework adapter (the app answers every upgrade " +
          'on its server, its 404 when no route upgrades); to share the server with another WebSocket ' +
          "library, pass shouldHandle: (req) => !req.url.startsWith('/socket.io/') (its paths)",
      );
    }
    this.options = options;
    this.logger = options.logger ?? consoleLogger;
    this.#reporter = new Reporter(this, options, this.logger);
    this.#settings = new RouteSettings(options);
    this.#trust = compileTrust(options.trustProxy);
    this.#refusals = new RefusalPath({
      stats: this.#stats,
      emit: (info) => this.#reporter.emit('reject', info),
      logger: this.logger,
      level: options.logRefusals ?? defaultRefusalLogLevel(),
    });
    this.#admission = new Admission(options.limits);
    this.#broker = options.broker ?? memoryBroker();
    this.#topics = new Topics(this.#broker, this.#stats, (err) => this.#reporter.report(err, 'broker'), {
      history: options.history,
      onReset: (topic, info) => this.#reporter.emit('reset', topic, info),
    });
    this.#broker.init?.({
      onError: (err) => this.#reporter.report(err, 'broker'),
      resync: () => this.#topics.history?.resync(),
      presence: (topic, change) => this.#reporter.emit('presence', topic, change),
    });
    this.#topics.onDelivered = (topic, count) => this.#reporter.emit('publish', topic, count); // telemetry hook
    const hb = options.heartbeat;
    if (hb !== false) {
      this.#heartbeat = new Heartbeat(
        this.sessions._set as Set<Session<unknown>>,
        hb?.interval ?? 30_000,
        hb?.timeout ?? 10_000,
      );
    }
    const parts = {
      sessions: this.sessions,
      stats: this.#stats,
      topics: this.#topics,
      admission: this.#admission,
      heartbeat: this.#heartbeat,
      reporter: this.#reporter,
      logger: this.logger,
      broker: this.#broker,
      settings: this.#settings,
      ws: this.#ws,
      refusals: this.#refusals,
    };
    this.#shutdown = new Shutdown(parts);
    this.#upgradeHost = new GateUpgradeHost({ ...parts, shutdown: this.#shutdown });
  }

  /** Whether `close()` has been called. */
  get closing(): boolean {
    return this.#shutdown.closing;
  }

  /**
   * Registers a WebSocket route for core-alone use (`gate.attach(server)`). Patterns: `/rooms/:room`,
   * `/files/:name?`, `/assets/*`. The most specific match wins; `session.params` is typed from the path.
   * A second route with the same path is a TypeError.
   */
  route<TPath extends string>(path: TPath, handler: RouteHandler<TUser, TPath>): this;
  // With options: a `message`/`send` schema types the handler's messages and `session.send` (contracts).
  route<TPath extends string, const TOptions extends RouteOptions<TUser> & ContractOptions>(
    path: TPath,
    options: TOptions,
    handler: Handler<TUser, IncomingMessage, RouteParams<TPath>, MessageOf<TOptions>, SendOf<TOptions>>,
  ): this;
  route(
    path: string,
    a: RouteOptions<TUser> | Handler<TUser, IncomingMessage>,
    b?: Handler<TUser, IncomingMessage>,
  ): this {
    const { options, handler } = routeArgs<RouteOptions<TUser>, Handler<TUser, IncomingMessage>>(
      `route ${path}`,
      a,
      b,
    );
    if (options) this.settings(options);
    this.#routes.add(path, { handler, options });
    this.describeRoute(path, options);
    return this;
  }

  /**
   * For adapters: records a WebSocket route's path and options for `gate.asyncapi()` (core routes are
   * recorded by `route`). The path is the pattern as declared (`/rooms/:room`).
   */
  describeRoute(path: string, options: RouteOptions<TUser> | undefined): void {
    this.#described.describe(path, options);
  }

  /**
   * An AsyncAPI 3.0 document of every route: a channel per path with its params, a `receive` operation
   * for what clients send (the `message` schema) and a `send` operation for what the server sends (the
   * `send` schema), each converted to JSON Schema by the schema library's own export.
   */
  asyncapi(options: AsyncApiOptions): AsyncApiDocument {
    return this.#described.asyncapi(options);
  }

  /**
   * Validates route options and returns the merged settings (cached per options object). Adapters call
   * this when a route is defined, so bad options fail at startup rather than on the first upgrade.
   */
  settings(options: RouteOptions<TUser> | undefined): Settings<TUser> {
    return this.#settings.get(options);
  }

  /**
   * Listens for upgrades on a server. Idempotent per server. Returns a function that stops listening.
   * An HTTP/2 server (`http2.createSecureServer`, `allowHTTP1: true` for both on one port) also takes
   * WebSockets over HTTP/2 (RFC 8441 extended CONNECT) through the same pipeline; `enableConnectProtocol`
   * is turned on for it.
   */
  attach(server: Server | AnyHttp2Server): () => void {
    const existing = this.#attached.get(server);
    if (existing) return existing.detach;
    const decide = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const mine = this.#shouldHandle(req, socket);
      if (mine === undefined || (mine && this.handleUpgrade(req, socket, head))) return;
      // Not ours (`shouldHandle`, or `unmatched: 'ignore'`) and nobody else listens: answer 404 rather
      // than leave the socket hanging.
      if (server.listenerCount('upgrade') <= 1) this.#notFoundLater(socket);
    };
    const listener = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      guard(socket);
      // Every answer (a 500 from shouldHandle, the late 404, the upgrade) waits for a pipelined page.
      const run = () => decide(req, socket, head);
      if (!afterInFlight(socket, run, this.#settings.defaults.handshakeTimeout)) run();
    };
    // HTTP/2 (issue 21): each extended CONNECT stream arrives here as an upgrade's (req, socket, head).
    const detachHttp2 = isHttp2Server(server) ? listenHttp2(server, listener) : noop;
    const detach = () => {
      server.off('upgrade', listener);
      detachHttp2();
      this.#attached.delete(server);
    };
    server.on('upgrade', listener);
    this.#attached.set(server, { detach });
    return detach;
  }

  /**
   * For adapters: makes the app's own `listen()` (Express's, Koa's) attach the server it returns, so
   * `app.listen(3000)` needs nothing more.
   */
  attachOnListen(app: { listen(...args: never[]): Server }): void {
    const listen = app.listen;
    const attach = (server: Server) => this.attach(server);
    Object.defineProperty(app, 'listen', {
      configurable: true,
      writable: true,
      value: function listenAndAttach(this: unknown, ...args: never[]): Server {
        const server = listen.apply(this, args);
        attach(server);
        return server;
      },
    });
  }

  /**
   * For adapters: sends one prepared upgrade through the framework's own pipeline (router, middleware,
   * hooks), which answers into `upgrade.response` or calls `upgrade.accept()`. A gate that defines it
   * answers every upgrade it handles through the framework (the framework's 404 when nothing upgrades);
   * one that does not uses its own routes.
   */
  protected runFramework?(upgrade: PreparedUpgrade<TUser>): void;

  /**
   * For adapters: an error that left the framework's chain during an upgrade (a middleware or hook threw
   * before the 101) and that the framework's own error handling answers. A 5xx (or status-less) error goes
   * to `onError` with phase `'framework'`; a 4xx is an answer, not a fault, and is not reported.
   */
  protected frameworkError(err: unknown, req: IncomingMessage): void {
    if (!errorAnswer(err).expected) this.#reporter.report(err, 'framework', undefined, req);
  }

  /**
   * Handles one upgrade: through the framework for an adapter's gate ({@link Gate.runFramework}), else
   * with the gate's own routes. Returns false only when no route matched and `unmatched` is `'ignore'`:
   * the socket then belongs to the caller, untouched but for an `'error'` listener (so a reset while
   * nobody holds it cannot crash the process). An upgrade pipelined behind a plain request on the same
   * connection is handled once that request's response has been written.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (taken(socket)) return true;
    guard(socket);
    let match: ReturnType<RouteTable<Route<TUser>>['match']> | 'malformed' = null;
    if (this.runFramework === undefined) {
      try {
        match = this.#routes.match(splitUrl(req.url ?? '/').pathname);
      } catch {
        match = 'malformed';
      }
      if (match === null || match === 'malformed') {
        if (this.options.unmatched === 'ignore') return false;
      }
    }
    take(socket);
    const run = () => this.#handle(req, socket, head, match);
    if (!afterInFlight(socket, run, this.#settings.defaults.handshakeTimeout)) run();
    return true;
  }

  /** `handleUpgrade` once no earlier response on the connection is in flight. */
  #handle(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    match: ReturnType<RouteTable<Route<TUser>>['match']> | 'malformed',
  ): void {
    if (this.runFramework !== undefined) {
      this.handleWith(req, socket, head, this.#runFramework);
      return;
    }
    if (match === 'malformed') {
      if (this.#begin(req, socket)) this.#refuse(req, socket, 400, 'Malformed URL');
      return;
    }
    if (!match) {
      if (this.#begin(req, socket)) this.#refuse(req, socket, 404, 'No WebSocket route matches this path');
      return;
    }
    this.#matchedRoute = match.path; // telemetry: `http.route` of a refusal inside prepare (synchronous)
    const upgrade = this.prepare(req, socket, head, match.value.options);
    this.#matchedRoute = undefined;
    if (!upgrade) return;
    upgrade
      .accept(match.value.handler, {
        context: req,
        params: match.params,
        route: match.path,
        options: match.value.options,
      })
      .catch(noop); // the client has been answered and real errors reported
  }

  /**
   * Steps 1, 2 and the global parts of 4 and 5 of the pipeline, for adapters: guards the socket, answers
   * invalid upgrades, shutdown, limits, Host and Origin. Returns null when the request was already
   * answered; otherwise the framework runs its own pipeline and then calls `accept` or `reject`. It
   * answers at once: for an upgrade pipelined behind a plain request whose response is still being
   * written, use `handleWith` or `handleUpgrade`, which wait for it.
   */
  prepare(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    routeOptions?: RouteOptions<TUser>,
  ): PreparedUpgrade<TUser> | null {
    if (!this.#begin(req, socket)) return null;
    try {
      if (this.#shutdown.closing)
        return this.#refuse(req, socket, 503, 'Server is shutting down', { 'Retry-After': '5' });
      const full = this.#admission.full(this.sessions.size);
      if (full) return this.#refuse(req, socket, full.status, full.reason, full.headers);
      const client = clientInfo(req, this.#trust);
      const key = ipKey(client.ip);
      const fullFor = this.#admission.fullFor(key);
      if (fullFor) return this.#refuse(req, socket, fullFor.status, fullFor.reason, fullFor.headers);
      const peerTrusted = this.#trust(peerAddress(req), 0);
      const hostRefusal = checkHost(
        this.options.allowedHosts,
        client.host,
        !peerTrusted && loopbackBound(req, this.#loopback),
        this.#hostMemo,
      );
      if (hostRefusal) return this.#refuse(req, socket, client.host ? 403 : 400, hostRefusal);
      const settings = routeOptions ? this.#settings.get(routeOptions) : this.#settings.defaults;
      const originRefusal = checkOrigin(settings.origins, settings.requireOrigin, req, client);
      // A route with its own Origin policy may still admit it; adapters learn the route later, in accept.
      if (originRefusal && (routeOptions !== undefined || !this.#settings.originOverrides)) {
        return this.#refuse(req, socket, 403, originRefusal);
      }
      const upgrade = new PreparedUpgrade<TUser>(
        req,
        socket,
        head,
        client,
        key,
        this.#upgradeHost,
        settings.handshakeTimeout,
      );
      upgrade.originRefusal = originRefusal;
      this.#admission.admit(upgrade);
      return upgrade;
    } catch (err) {
      if (err instanceof URIError) return this.#refuse(req, socket, 400, 'Malformed URL');
      this.#reporter.report(err, 'upgrade', undefined, req);
      return this.#refuse(req, socket, 500, 'Internal Server Error');
    }
  }

  /**
   * For adapters: `prepare()`, then `run(upgrade)` sends it through the framework's own pipeline, which
   * answers into `upgrade.response` or calls `upgrade.accept()`. A synchronous throw from the framework is
   * reported and answered 500, never left to escape the server's `'upgrade'` listener. An upgrade pipelined
   * behind a plain request waits until that request's response has been written.
   */
  handleWith(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    run: (upgrade: PreparedUpgrade<TUser>) => void,
  ): void {
    guard(socket);
    const go = () => this.#handleWith(req, socket, head, run);
    if (!afterInFlight(socket, go, this.#settings.defaults.handshakeTimeout)) go();
  }

  #handleWith(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    run: (upgrade: PreparedUpgrade<TUser>) => void,
  ): void {
    const upgrade = this.prepare(req, socket, head);
    if (!upgrade) return;
    try {
      run(upgrade);
    } catch (err) {
      this.#reporter.report(err, 'upgrade', undefined, req);
      upgrade.reject(500, 'Internal Server Error');
    }
  }

  /**
   * Publishes to a topic's members on every node. `except` skips one local session. What they receive is
   * `data` as it is now: a Buffer may be reused as soon as this returns (wsgate copies it once, whatever
   * the fan-out).
   */
  // `except` takes a session of any contract (its message and send types do not matter here).
  publish(
    topic: string,
    data: SendData,
    options?: { except?: Session<TUser, object, unknown, never> | undefined },
  ): void {
    this.#topics.publish(topic, data, options?.except as Session<unknown> | undefined);
  }

  /**
   * Reads a topic's history: the messages after `after` (all kept ones without it), at most `limit`
   * (default and cap: the topic's `size`, at most 1000), with the topic's current epoch and latest offset.
   * `reset` is true when they do not continue from `after` (its epoch is gone, or messages after it left
   * the history): start over instead of applying them. A TypeError for a topic without history.
   */
  history(
    topic: string,
    options: { after?: Position | undefined; limit?: number | undefined } = {},
  ): Promise<HistoryPage> {
    const history = this.#topics.history;
    const retention = history?.retention(topic);
    if (!history || !retention)
      throw new TypeError(`wsgate: topic '${topic}' has no history (see the history option)`);
    const { after, limit } = options;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0))
      throw new TypeError(`wsgate: history limit must be a non-negative integer, got ${String(limit)}`);
    if (
      after !== undefined &&
      (typeof after !== 'object' || typeof after.epoch !== 'string' || !Number.isSafeInteger(after.offset))
    )
      throw new TypeError('wsgate: history after must be a position { epoch, offset }');
    return history.read(topic, retention, options);
  }

  /** Every member of a topic's presence, on every node (`session.subscribe(topic, { presence })`). */
  presence(topic: string): Promise<PresenceMember[]> {
    return this.#topics.presence.list(topic);
  }

  /** A snapshot of the counters. */
  stats(): GateStats {
    const s = this.#stats;
    return {
      open: this.sessions.size,
      pending: this.#admission.pending.size,
      accepted: s.accepted,
      rejected: { ...s.rejected },
      messagesIn: s.messagesIn,
      messagesOut: s.messagesOut,
      bytesIn: s.bytesIn,
      bytesOut: s.bytesOut,
      topics: this.#topics.size,
      slowConsumers: { closed: s.closedSlow, dropped: s.droppedSlow },
    };
  }

  /** Local members of a topic. */
  topicMembers(topic: string): ReadonlySet<Session<TUser>> {
    return this.#topics.members(topic) as ReadonlySet<Session<TUser>>;
  }

  /**
   * Opens a real `ws` client over an in-memory connection, with no port: the request goes through the
   * attached server (and so through an adapter's framework pipeline), or a private one for core-alone
   * routes. Resolves once open; rejects with an error carrying `status` and `body` when refused.
   */
  inject(path: string, options: InjectOptions = {}): Promise<WebSocket> {
    const attached = options.server ?? this.#attached.keys().next().value;
    // An HTTP/2 server takes the in-memory HTTP/1.1 connection through a bridge (http2/inject-bridge.ts).
    let server = attached && isHttp2Server(attached) ? injectBridge(attached) : attached;
    if (!server) {
      this.#injectServer ??= createServer((_req, res) => res.writeHead(426).end());
      this.attach(this.#injectServer);
      server = this.#injectServer;
    }
    return inject(server, path, options);
  }

  /**
   * Graceful shutdown: new upgrades get 503, pending handshakes are refused, every session gets the close
   * code, stragglers are terminated after `timeout`, the broker is closed; afterwards nothing of wsgate
   * keeps the process alive.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return this.#shutdown.close(options);
  }

  /** `options.shouldHandle` for an attached server's upgrade; undefined when it threw and 500 was sent. */
  #shouldHandle(req: IncomingMessage, socket: Duplex): boolean | undefined {
    const should = this.options.shouldHandle;
    if (should === undefined) return true;
    try {
      return should(req) !== false;
    } catch (err) {
      this.#reporter.report(err, 'upgrade', undefined, req);
      if (this.#begin(req, socket)) this.#refuse(req, socket, 500, 'Internal Server Error');
      return undefined;
    }
  }

  /** Steps 1 and 2: guard the socket, then answer anything that is not a valid upgrade. */
  #begin(req: IncomingMessage, socket: Duplex): boolean {
    take(socket);
    guard(socket);
    this.#reporter.emit('upgrade', req); // telemetry hook: a handshake span starts here
    try {
      const invalid = checkUpgradeRequest(req);
      if (invalid) return this.#refuse(req, socket, invalid.status, invalid.reason, invalid.headers) ?? false;
      // One spelling of the path for the app's middleware and every router (see canonicalTarget): the
      // others are refused here, once, for every adapter, before any middleware runs.
      req.url = canonicalTarget(req.url ?? '/');
      return true;
    } catch (err) {
      const reason = err instanceof URIError && err.message ? err.message : 'Malformed URL';
      return this.#refuse(req, socket, 400, reason) ?? false;
    }
  }

  #notFoundLater(socket: Duplex): void {
    // Bytes already written belong to earlier responses on a keep-alive connection, not to a taker.
    const written = (socket as Socket).bytesWritten;
    const timer = setTimeout(() => {
      if (socket.destroyed) return;
      // Not a refusal of the gate's (it declined the upgrade): nothing counted, emitted or logged.
      if ((socket as Socket).bytesWritten === written)
        writeRejection(socket, 404, 'No WebSocket route matches this path');
    }, this.#settings.defaults.handshakeTimeout);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    // A client that gave up on its side needs no 404: release the socket now, not at the timeout.
    socket.once('end', () => socket.destroy());
  }

  #refuse(
    req: IncomingMessage,
    socket: Duplex,
    status: number,
    reason: string,
    headers?: Refusal['headers'],
  ): null {
    const refused = this.#refusals.refuse(req, { status, reason, headers }, socket);
    // Telemetry hook: the end of a handshake refused before it had a PreparedUpgrade.
    if (this.#reporter.listening('handshake'))
      this.#reporter.emit('handshake', req, {
        status,
        reason,
        route: this.#matchedRoute,
        session: undefined,
      });
    return refused;
  }

  /** @internal for tests: per-IP counters and pending handshakes are back to zero. */
  _counters(): { pending: number; perIp: number; sessions: number; topics: number } {
    return {
      pending: this.#admission.pending.size,
      perIp: this.#admission.addresses,
      sessions: this.sessions.size,
      topics: this.#topics.size,
    };
  }
}

/** Creates a gate. See {@link GateOptions} for the options and their defaults. */
export function createGate<TUser = unknown>(options: GateOptions<TUser> = {}): Gate<TUser> {
  return new Gate<TUser>(options);
}
