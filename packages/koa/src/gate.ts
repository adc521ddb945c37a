import type { IncomingMessage, Server } from 'node:http';
import type { Handler, RouteOptions, RouteParams } from '@wsgate/core';
import { chainArgs, frameworkDefaults, Gate, type PreparedUpgrade } from '@wsgate/core/adapter';
import type Koa from 'koa';
import type { DefaultContext, DefaultState, ParameterizedContext } from 'koa';
import { type AnyMiddleware, compose, type Last } from './compose.js';
import { trustFromApp } from './proxy.js';
import type { KoaGateOptions, KoaWsArgs, WsApp } from './types.js';
import { runUpgrade, type UpgradeDeps } from './upgrade-context.js';
import { type WsRoute, WsRoutes } from './ws-routes.js';

const kGate = Symbol.for('wsgate.koa.gate');

/**
 * The gate of a Koa app: the whole core {@link Gate} API, with upgrades sent through the app's middleware
 * chain (so its auth decides before the handshake) and `app.ws` routes matched after it.
 */
export class KoaGate<TUser = unknown, TState = DefaultState, TContext = DefaultContext> extends Gate<TUser> {
  /** The Koa app whose middleware chain every upgrade runs through, typed with `app.ws`. */
  readonly app: WsApp<TState, TContext>;
  readonly #routes = new WsRoutes<TUser>();
  #chain: { length: number; fn: (ctx: ParameterizedContext, last: Last) => Promise<unknown> } | undefined;
  readonly #deps: UpgradeDeps<TUser>;

  /** Use {@link wsgate}, which also adds `app.ws` and hooks `app.listen`. */
  constructor(app: Koa<TState, TContext>, options: KoaGateOptions<TUser> = {}) {
    super(frameworkDefaults(options, { trustProxy: trustFromApp(app) }));
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
    this.#add(path, chainArgs(`app.ws('${path}')`, args));
    return this;
  }

  /**
   * `gate.route(path, options?, handler)`: `handler(session, req)` with the Node request. With Koa it is
   * an `app.ws` route, so the app's middleware runs before it too.
   */
  protected override addRoute(
    path: string,
    options: RouteOptions<TUser> | undefined,
    handler: Handler<TUser, IncomingMessage>,
  ): void {
    this.#add(path, { options, middleware: [], handler: (session, ctx) => handler(session, ctx.req) });
  }

  #add(path: string, route: WsRoute<TUser, AnyMiddleware[]>): void {
    if (route.options) this.settings(route.options); // fails at startup, not on the first upgrade
    this.#routes.add(path, route);
    this.describeRoute(path, route.options); // for gate.asyncapi()
  }

  /** Runs one upgrade through the app's middleware chain: what nothing upgrades gets Koa's 404. */
  protected override runFramework(up: PreparedUpgrade<TUser>): void {
    runUpgrade(this.app as unknown as Koa, up, this.#deps);
  }

  /** The app's middleware, composed once per change (Koa only ever appends). */
  #compiled(): (ctx: ParameterizedContext, last: Last) => Promise<unknown> {
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
