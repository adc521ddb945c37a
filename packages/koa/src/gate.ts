import type { IncomingMessage, Server } from 'node:http';
import type { Handler, MessageOf, RouteOptions, RouteParams, SendOf } from '@wsgate/core';
import { Gate, type PreparedUpgrade, routeArgs } from '@wsgate/core/adapter';
import type Koa from 'koa';
import type { DefaultContext, DefaultState, Next, ParameterizedContext } from 'koa';
import { type AnyMiddleware, compose } from './compose.js';
import { trustFromApp } from './proxy.js';
import type { KoaGateOptions, KoaWsArgs, WsApp } from './types.js';
import { runUpgrade, type UpgradeDeps } from './upgrade-context.js';
import { WsRoutes } from './ws-routes.js';

const kGate = Symbol.for('wsgate.koa.gate');

/** The handler of `gate.route`: the Node request, `session.params` typed from the path. */
type NodeHandler<TUser, TPath extends string, TOptions = unknown> = Handler<
  TUser,
  IncomingMessage,
  RouteParams<TPath>,
  MessageOf<TOptions>,
  SendOf<TOptions>
>;

/**
 * The gate of a Koa app: the whole core {@link Gate} API, with upgrades sent through the app's middleware
 * chain (so its auth decides before the handshake) and `app.ws` routes matched after it.
 */
export class KoaGate<TUser = unknown, TState = DefaultState, TContext = DefaultContext> extends Gate<TUser> {
  /** The Koa app whose middleware chain every upgrade runs through, typed with `app.ws`. */
  readonly app: WsApp<TState, TContext>;
  readonly #routes = new WsRoutes<TUser>();
  #chain: { length: number; fn: (ctx: ParameterizedContext, last: Next) => Promise<unknown> } | undefined;
  readonly #deps: UpgradeDeps<TUser>;

  /** Use {@link wsgate}, which also adds `app.ws` and hooks `app.listen`. */
  constructor(app: Koa<TState, TContext>, options: KoaGateOptions<TUser> = {}) {
    super(options.trustProxy === undefined ? { ...options, trustProxy: trustFromApp(app) } : options);
    this.app = app as WsApp<TState, TContext>;
    this.#deps = {
      settings: (o) => this.settings(o),
      chain: () => this.#compiled(),
      last: this.#routes.run,
      report: (err) => this.logger.error({ err }, 'wsgate: error in the Koa upgrade chain'),
      failed: (err, req) => this.frameworkError(err, req),
    };
  }

  /**
   * Defines a WebSocket route matched after the app's `app.use` chain; the same as `app.ws`, typed with
   * the gate's user type. Optional route options come right after the path.
   */
  ws<TPath extends string>(
    path: TPath,
    ...args: KoaWsArgs<TUser, TState, TContext, RouteParams<TPath>>
  ): this;
  ws<TPath extends string, const TOptions extends RouteOptions<TUser>>(
    path: TPath,
    options: TOptions,
    ...args: KoaWsArgs<TUser, TState, TContext, RouteParams<TPath>, TOptions>
  ): this;
  ws(path: string, ...args: unknown[]): this {
    const first = args[0];
    const options =
      typeof first === 'object' && first !== null ? (args.shift() as RouteOptions<TUser>) : undefined;
    if (options) this.settings(options); // fails at startup, not on the first upgrade
    this.#routes.add(path, options, args);
    this.describeRoute(path, options); // for gate.asyncapi()
    return this;
  }

  /**
   * Core-style route: `handler(session, req)` with the Node request. With Koa it is an `app.ws` route,
   * so the app's middleware runs before it too.
   */
  override route<TPath extends string>(path: TPath, handler: NodeHandler<TUser, TPath>): this;
  override route<TPath extends string, const TOptions extends RouteOptions<TUser>>(
    path: TPath,
    options: TOptions,
    handler: NodeHandler<TUser, TPath, TOptions>,
  ): this;
  override route(
    path: string,
    a: RouteOptions<TUser> | Handler<TUser, IncomingMessage>,
    b?: Handler<TUser, IncomingMessage>,
  ): this {
    const { options, handler } = routeArgs<RouteOptions<TUser>, Handler<TUser, IncomingMessage>>(
      `route ${path}`,
      a,
      b,
    );
    const run: Handler<TUser, ParameterizedContext> = (session, ctx) => handler(session, ctx.req);
    return options === undefined ? this.ws(path, run) : this.ws(path, options, run);
  }

  /** Runs one upgrade through the app's middleware chain: what nothing upgrades gets Koa's 404. */
  protected override runFramework(up: PreparedUpgrade<TUser>): void {
    runUpgrade(this.app as unknown as Koa, up, this.#deps);
  }

  /** The app's middleware, composed once per change (Koa only ever appends). */
  #compiled(): (ctx: ParameterizedContext, last: Next) => Promise<unknown> {
    const app = this.app as unknown as Koa;
    const middleware = app.middleware as unknown as AnyMiddleware[];
    if (this.#chain?.length !== middleware.length) {
      // Koa's own `callback()` adds this listener; without it ctx.onerror's emit('error') would throw.
      if (app.listenerCount('error') === 0) app.on('error', app.onerror.bind(app));
      this.#chain = { length: middleware.length, fn: compose([...middleware]) };
    }
    return this.#chain.fn;
  }
}

/**
 * Adds WebSockets to a Koa 2 or 3 app. Every upgrade runs through the app's whole middleware chain before
 * the handshake: `ctx.throw(401)`, a redirect, a status set by middleware or Koa's 404 reach the client as
 * HTTP. Open the socket with `await ctx.ws()` in any middleware or router route, or with `app.ws(path,
 * ...middleware, handler)`, matched after the chain. `app.listen()` is hooked; call `gate.attach(server)`
 * for a server you create. `trustProxy` defaults to the app's `proxy` and `maxIpsCount` settings.
 */
export function wsgate<TUser = unknown, TState = DefaultState, TContext = DefaultContext>(
  app: Koa<TState, TContext>,
  options: KoaGateOptions<TUser> = {},
): KoaGate<TUser, TState, TContext> {
  const target = app as unknown as WsApp & { [kGate]?: unknown };
  if (target[kGate]) throw new TypeError('wsgate: this Koa app already has a gate');
  const gate = new KoaGate<TUser, TState, TContext>(app, options);
  target[kGate] = gate;
  const define = gate.ws as (path: string, ...args: unknown[]) => unknown;
  target.ws = function (this: WsApp, path: string, ...args: unknown[]) {
    define.call(gate, path, ...args);
    return this;
  } as WsApp['ws'];
  gate.attachOnListen(target as unknown as { listen(...args: never[]): Server });
  return gate;
}
