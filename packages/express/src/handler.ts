import type { IncomingMessage } from 'node:http';
import type { Params, RouteOptions } from '@wsgate/core';
import { acceptOnce, PreparedUpgrade } from '@wsgate/core/adapter';
import type { NextFunction, Request, RequestHandler, Response } from 'express-serve-static-core';
import type { ExpressWsHandler } from './types.js';

/**
 * Builds the Express handler that completes an upgrade: route-level checks, the handshake, then
 * `handler(session, req)`. Non-upgrade requests go on with `next()`.
 */
export function upgradeHandler<TUser, TRequest>(
  handler: ExpressWsHandler<TUser, TRequest>,
  options: RouteOptions<TUser> | undefined,
): RequestHandler {
  return function wsgateUpgrade(req: Request, _res: Response, next: NextFunction): void {
    const up = PreparedUpgrade.of<TUser>(req);
    // Core ends the inert response after the 101 (express-session's end hook saves the session). An
    // error that is not an abort failed before the 101, so Express's error handler may answer it.
    if (up === undefined) next();
    else
      acceptOnce(
        up,
        {
          handler: handler as ExpressWsHandler<TUser, Request>,
          context: req,
          params: req.params as Params,
          route: routeOf(req),
          options,
          user: (req as { user?: TUser }).user,
          url: req.originalUrl,
        },
        next,
      );
    // Returns undefined, never a promise: Express 5 must not see a handler's late rejection.
  };
}

/** Route guard for `app.ws`: plain GETs skip the WebSocket route's middleware with `next('route')`. */
export function onlyUpgrades(req: IncomingMessage, _res: unknown, next: NextFunction): void {
  if (PreparedUpgrade.of(req)) next();
  else next('route');
}

/** The matched route for stats and logs: mount path plus route path (Express 4 also allows RegExps). */
function routeOf(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return `${req.baseUrl ?? ''}${path === undefined ? '' : String(path)}` || req.path;
}
