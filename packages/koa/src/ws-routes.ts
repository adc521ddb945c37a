import type { Handler, RouteOptions } from '@wsgate/core';
import { RouteTable } from '@wsgate/core/adapter';
import type { Next, ParameterizedContext } from 'koa';
import { type AnyMiddleware, compose } from './compose.js';
import { acceptOf } from './upgrade-context.js';

interface WsRoute<TUser> {
  options: RouteOptions<TUser> | undefined;
  middleware: (ctx: ParameterizedContext, last: Next) => Promise<unknown>;
  handler: Handler<TUser, ParameterizedContext>;
}

/**
 * The `app.ws` routes: the last step of an upgrade's chain, reached only when the app's middleware passed
 * the request on. No match leaves the context alone, so Koa answers with its 404. Routes match `ctx.path`
 * as the middleware before them saw it: fixed segments raw, case and a trailing slash significant.
 */
export class WsRoutes<TUser> {
  readonly #table = new RouteTable<WsRoute<TUser>>();

  /** Adds a route; `args` are route middleware followed by the handler. */
  add(path: string, options: RouteOptions<TUser> | undefined, args: readonly unknown[]): void {
    const handler = args.at(-1);
    const middleware = args.slice(0, -1);
    if (typeof handler !== 'function')
      throw new TypeError(`wsgate: app.ws('${path}') needs a handler function as its last argument`);
    for (const fn of middleware) {
      if (typeof fn !== 'function')
        throw new TypeError(`wsgate: app.ws('${path}') middleware must be functions, got ${typeof fn}`);
    }
    this.#table.add(path, {
      options,
      middleware: compose(middleware as AnyMiddleware[]),
      handler: handler as Handler<TUser, ParameterizedContext>,
    });
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
