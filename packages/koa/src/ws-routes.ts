import type { Handler, RouteOptions } from '@wsgate/core';
import { RouteTable } from '@wsgate/core/adapter';
import type { Next, ParameterizedContext } from 'koa';
import { type AnyMiddleware, compose, type Last } from './compose.js';
import { type KoaUpgrade, upgradeOf } from './upgrade-context.js';

/** An `app.ws` handler, as the routes keep it. @internal */
export type ContextHandler<TUser> = Handler<TUser, ParameterizedContext>;

/** One `app.ws` route: its middleware as declared, or composed once added. @internal */
export interface WsRoute<TUser, TMiddleware = (ctx: ParameterizedContext, last: Last) => Promise<unknown>> {
  options: RouteOptions<TUser> | undefined;
  middleware: TMiddleware;
  handler: ContextHandler<TUser>;
}

/** A route as the table keeps it: its middleware composed (none: null), and the step after it. */
interface ComposedRoute<TUser>
  extends WsRoute<TUser, ((ctx: ParameterizedContext, last: Last) => Promise<unknown>) | null> {
  /** Accepts the upgrade on this route; called as the middleware's last `next` (with the context). */
  accept: (ctx: ParameterizedContext) => Promise<unknown>;
}

/**
 * The `app.ws` routes: the last step of an upgrade's chain, reached only when the app's middleware passed
 * the request on. No match leaves the context alone, so Koa answers with its 404. Routes match `ctx.path`
 * as the middleware before them saw it: fixed segments raw, case and a trailing slash significant.
 */
export class WsRoutes<TUser> {
  readonly #table = new RouteTable<ComposedRoute<TUser>>();

  /** Adds a route; its middleware must be functions (a TypeError from Koa's composer). */
  add(path: string, route: WsRoute<TUser, AnyMiddleware[]>): void {
    const { handler, options } = route;
    // Made once per route, not per upgrade: the route's pattern is what `accept` reports.
    const accept = (ctx: ParameterizedContext) =>
      (upgradeOf<TUser>(ctx) as KoaUpgrade<TUser>).accept(handler, options, path);
    const middleware = route.middleware.length > 0 ? compose(route.middleware) : null;
    this.#table.add(path, { ...route, middleware, accept });
  }

  /** The tail middleware of an upgrade's chain. */
  readonly run = async (ctx: ParameterizedContext, _next: Next): Promise<unknown> => {
    if (!upgradeOf<TUser>(ctx) || this.#table.size === 0) return;
    let match: ReturnType<RouteTable<ComposedRoute<TUser>>['match']>;
    try {
      match = this.#table.match(ctx.path);
    } catch {
      return ctx.throw(400, 'Malformed URL');
    }
    if (!match) return;
    const { value, params } = match;
    (ctx as { params?: Record<string, string> }).params = params;
    return value.middleware ? value.middleware(ctx, value.accept) : value.accept(ctx);
  };
}
