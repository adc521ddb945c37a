import type { Next, ParameterizedContext } from 'koa';
import koaCompose from 'koa-compose';

/** A Koa middleware, loosely typed for composing. @internal */
export type AnyMiddleware = (ctx: ParameterizedContext, next: Next) => unknown;

/**
 * A composed chain's final step. koa-compose calls it as it calls a middleware, `last(ctx, next)`, so a
 * function made once (the `app.ws` routes, a route's accept step) serves every upgrade.
 */
export type Last = (ctx: ParameterizedContext, next: Next) => unknown;

/**
 * Koa's own composer (the package Koa 2 and 3 use internally; Koa 2 does not re-export it). The upgrade
 * chain passes a final `next`: it continues into `last` (the `app.ws` routes) after the app's middleware.
 */
export const compose = koaCompose as unknown as (
  middleware: readonly AnyMiddleware[],
) => (ctx: ParameterizedContext, last: Last) => Promise<unknown>;
