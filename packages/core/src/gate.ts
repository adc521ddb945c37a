import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { AsyncApiDocument, AsyncApiOptions } from './contracts/asyncapi.js';
import type { ContractOptions, MessageOf, SendOf } from './contracts/contract.js';
import type { CloseOptions, GateEvents } from './gate-events.js';
import { composeGate, type GateParts } from './gate-parts.js';
import type { AnyHttp2Server } from './http2/listen.js';
import { consoleLogger, type Logger } from './logger.js';
import { type GateOptions, type RouteOptions, type Settings, validateGateOptions } from './options.js';
import { routeArgs } from './routes/route-args.js';
import type { RouteParams } from './routes/route-params.js';
import type { SendData, Session } from './session/session.js';
import { SessionSet } from './session/sessions.js';
import type { GateStats } from './stats.js';
import type { PresenceMember } from './topics/broker.js';
import { readHistory } from './topics/history.js';
import type { HistoryPage, Position } from './topics/positions.js';
import { attachOnListen } from './upgrade/attach.js';
import { errorAnswer } from './upgrade/http-error.js';
import { type InjectOptions, inject } from './upgrade/inject.js';
import { type Handler, PreparedUpgrade } from './upgrade/prepared-upgrade.js';

export type { CloseOptions, GateEvents } from './gate-events.js';

// The facade: each public method hands its call to the one part that owns it. The parts are built and
// wired in gate-parts.ts; in the order an upgrade meets them: upgrade/attach.ts (servers), upgrade/
// dispatch.ts (framework or core routes), routes/core-routes.ts, upgrade/entrance.ts (checks, with
// upgrade/admission.ts for limits), upgrade/prepared-upgrade.ts (accept), gate-hosts.ts (what upgrades
// and sessions ask of their gate); besides them report.ts (errors, events), topics/, shutdown/.

/** `gate.prepare()`'s arguments: the upgrade event's three, then route options known before the framework runs. */
type PrepareArgs<TUser> = [
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  routeOptions?: RouteOptions<TUser>,
];

/** The handler of `gate.route(path, handler)`: the Node request, and `session.params` typed from `TPath`. */
type RouteHandler<TUser, TPath extends string> = Handler<TUser, IncomingMessage, RouteParams<TPath>>;

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

  /** What the gate is made of (gate-parts.ts); each method below hands its call to one part. */
  readonly #parts: GateParts<TUser>;

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
    this.#parts = composeGate<TUser>(this, {
      usesFramework: () => this.runFramework !== undefined,
      runFramework: (upgrade) => this.runFramework?.(upgrade), // bound once, not per upgrade
    });
  }

  /** Whether `close()` has been called. */
  get closing(): boolean {
    return this.#parts.shutdown.closing;
  }

  // Routes, their settings and their documentation.

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
    const call = `route ${path}`;
    const { options, handler } = routeArgs<RouteOptions<TUser>, Handler<TUser, IncomingMessage>>(call, a, b);
    this.addRoute(path, options, handler);
    return this;
  }

  /**
   * For adapters: where `route()` puts a route once its arguments are parsed (an adapter's gate sends it
   * through its framework instead). Validates the options and records the route for `asyncapi()`.
   */
  protected addRoute(
    path: string,
    options: RouteOptions<TUser> | undefined,
    handler: Handler<TUser, IncomingMessage>,
  ): void {
    if (options) this.settings(options);
    this.#parts.routes.add(path, handler, options);
    this.describeRoute(path, options);
  }

  /**
   * For adapters: records a WebSocket route's path and options for `gate.asyncapi()` (core routes are
   * recorded by `route`). The path is the pattern as declared (`/rooms/:room`).
   */
  describeRoute(path: string, options: RouteOptions<TUser> | undefined): void {
    this.#parts.described.describe(path, options);
  }

  /**
   * An AsyncAPI 3.0 document of every route: a channel per path with its params, a `receive` operation
   * for what clients send (the `message` schema) and a `send` operation for what the server sends (the
   * `send` schema), each converted to JSON Schema by the schema library's own export.
   */
  asyncapi(options: AsyncApiOptions): AsyncApiDocument {
    return this.#parts.described.asyncapi(options);
  }

  /**
   * Validates route options and returns the merged settings (cached per options object). Adapters call
   * this when a route is defined, so bad options fail at startup rather than on the first upgrade.
   */
  settings(options: RouteOptions<TUser> | undefined): Settings<TUser> {
    return this.#parts.settings.get(options);
  }

  // Servers and the upgrade pipeline (upgrade/).

  /**
   * Listens for upgrades on a server. Idempotent per server. Returns a function that stops listening.
   * An HTTP/2 server (`http2.createSecureServer`, `allowHTTP1: true` for both on one port) also takes
   * WebSockets over HTTP/2 (RFC 8441 extended CONNECT) through the same pipeline; `enableConnectProtocol`
   * is turned on for it.
   */
  attach(server: Server | AnyHttp2Server): () => void {
    return this.#parts.attachments.attach(server);
  }

  /**
   * For adapters: makes the app's own `listen()` (Express's, Koa's) attach the server it returns, so
   * `app.listen(3000)` needs nothing more.
   */
  attachOnListen(app: { listen(...args: never[]): Server }): void {
    attachOnListen(app, (server) => this.attach(server));
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
   * to `onError` with phase `'framework'`; a 4xx is an answer, not a fault, and is not reported; nor is an
   * error once the upgrade is answered (refused, timed out, the client left: the socket's own error).
   */
  protected frameworkError(err: unknown, req: IncomingMessage): void {
    if (PreparedUpgrade.of(req)?.pending && !errorAnswer(err).expected)
      this.#parts.reporter.report(err, 'framework', undefined, req);
  }

  /**
   * Handles one upgrade: through the framework for an adapter's gate ({@link Gate.runFramework}), else
   * with the gate's own routes. Returns false only when no route matched and `unmatched` is `'ignore'`:
   * the socket then belongs to the caller, untouched but for an `'error'` listener (so a reset while
   * nobody holds it cannot crash the process). An upgrade pipelined behind a plain request on the same
   * connection is handled once that request's response has been written.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    return this.#parts.dispatch.handleUpgrade(req, socket, head);
  }

  /**
   * Steps 1, 2 and the global parts of 4 and 5 of the pipeline, for adapters: guards the socket, answers
   * invalid upgrades, shutdown, limits, Host and Origin. Returns null when the request was already
   * answered; otherwise the framework runs its own pipeline and then calls `accept` or `reject`. It
   * answers at once: for an upgrade pipelined behind a plain request whose response is still being
   * written, use `handleWith` or `handleUpgrade`, which wait for it.
   *
   * @internal adapter plumbing, not in the published types: an adapter overrides `runFramework` instead.
   */
  prepare(...[req, socket, head, routeOptions]: PrepareArgs<TUser>): PreparedUpgrade<TUser> | null {
    const route = routeOptions === undefined ? undefined : { options: routeOptions, path: undefined };
    const upgrade = this.#parts.entrance.prepare(req, socket, head, route);
    // The caller goes on asynchronously: the deadline runs, and the client leaving is heard, from now.
    upgrade?._watch();
    return upgrade;
  }

  /**
   * For adapters: `prepare()`, then `run(upgrade)` sends it through the framework's own pipeline, which
   * answers into `upgrade.response` or calls `upgrade.accept()`. A synchronous throw from the framework is
   * reported and answered 500, never left to escape the server's `'upgrade'` listener. An upgrade pipelined
   * behind a plain request waits until that request's response has been written.
   *
   * @internal adapter plumbing, not in the published types: an adapter overrides `runFramework` instead.
   */
  handleWith(...args: Parameters<GateParts<TUser>['dispatch']['handleWith']>): void {
    this.#parts.dispatch.handleWith(...args);
  }

  // Topics (topics/).

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
    this.#parts.topics.publish(topic, data, options?.except as Session<unknown> | undefined);
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
    return readHistory(this.#parts.topics.history, topic, options);
  }

  /** Every member of a topic's presence, on every node (`session.subscribe(topic, { presence })`). */
  presence(topic: string): Promise<PresenceMember[]> {
    return this.#parts.topics.presence.list(topic);
  }

  /** Local members of a topic. */
  topicMembers(topic: string): ReadonlySet<Session<TUser>> {
    return this.#parts.topics.members(topic) as ReadonlySet<Session<TUser>>;
  }

  // Counters, tests and shutdown.

  /** A snapshot of the counters. */
  stats(): GateStats {
    const { stats, admission, topics } = this.#parts;
    return stats.snapshot(this.sessions.size, admission.pending.size, topics.size);
  }

  /**
   * Opens a real `ws` client over an in-memory connection, with no port: the request goes through the
   * attached server (and so through an adapter's framework pipeline), or a private one for core-alone
   * routes. Resolves once open; rejects with an error carrying `status` and `body` when refused.
   */
  inject(path: string, options: InjectOptions = {}): Promise<WebSocket> {
    return inject(this.#parts.attachments.injectTarget(options.server), path, options);
  }

  /**
   * Graceful shutdown: new upgrades get 503, pending handshakes are refused, every session gets the close
   * code, stragglers are terminated after `timeout`, the broker is closed; afterwards nothing of wsgate
   * keeps the process alive.
   */
  close(options: CloseOptions = {}): Promise<void> {
    return this.#parts.shutdown.close(options);
  }

  /** @internal for tests: per-IP counters and pending handshakes are back to zero. */
  _counters(): { pending: number; perIp: number; sessions: number; topics: number } {
    const { admission, topics } = this.#parts;
    return {
      pending: admission.pending.size,
      perIp: admission.addresses,
      sessions: this.sessions.size,
      topics: topics.size,
    };
  }
}

/** Creates a gate. See {@link GateOptions} for the options and their defaults. */
export function createGate<TUser = unknown>(options: GateOptions<TUser> = {}): Gate<TUser> {
  return new Gate<TUser>(options);
}
