import type { Handler, RouteOptions } from '@wsgate/core';
import { RouteTable } from '@wsgate/core/adapter';
import type { Next, ParameterizedContext } from 'koa';
import { type AnyMiddleware, compose } from './compose.js';
import { acceptOf } from './upgrade-context.js';

/** An `app.ws` handler, as the routes keep it. @internal */
export type ContextHandler<TUser> = Handler<TUser, ParameterizedContext>;

/** One `app.ws` route: its middleware as declared, or composed once added. @internal */
export interface WsRoute<TUser, TMiddleware = (ctx: ParameterizedContext, last: Next) => Promise<unknown>> {
  options: RouteOptions<TUser> | undefined;
  middleware: TMiddleware;
  handler: ContextHandler<TUser>;
}

/**
 * The `app.ws` routes: the last step of an upgrade's chain, reached only when the app's middleware passed
 * the request on. No match leaves the context alone, so Koa answers with its 404. Routes match `ctx.path`
 * as the middleware before them saw it: fixed segments raw, case and a trailing slash significant.
 */
export class WsRoutes<TUser> {
  readonly #table = new RouteTable<WsRoute<TUser>>();

  /** Adds a route; its middleware must be functions (a TypeError from Koa's composer). */
  add(path: string, route: WsRoute<TUser, AnyMiddleware[]>): void {
    this.#table.add(path, { ...route, middleware: compose(route.middleware) });
  }

  /** The tail middleware of an upgrade's chain. */
  readonly run = async (ctx: ParameterizedContext, _next: Next): Promise<unknown> => {
    const accept = acceptOf<TUser>(ctx);
    if (!accept || this.#table.size === 0) return;
    let match: ReturnType<RouteTable<WsRoute<TUser>>['match']>;
    try {
      match = this.#table.match(ctx.path);
    } catch {
      return ctx.throw(400, 'Malformed URL');
    }
    if (!match) return;
    const { value, params, path } = match;
    (ctx as { params?: Record<string, string> }).params = params;
    return value.middleware(ctx, () => accept(value.handler, value.options, path));
  };
}
