import type { RouteOptions } from '@wsgate/core';
import { chainArgs, DeclaredRoutes, RoutePaths, type RouteSink } from '@wsgate/core/adapter';
import type { RequestHandler } from 'express-serve-static-core';
import { onlyUpgrades, upgradeHandler } from './handler.js';
import type { ExpressWsHandler } from './types.js';

interface Routable {
  get(path: unknown, ...handlers: RequestHandler[]): unknown;
}

/** Per Express copy (its Router prototype): the `ws` routes declared on any of its apps and routers. */
const declared = new WeakMap<object, DeclaredRoutes<never>>();

/**
 * The `ws` routes of one Express copy, told to every gate of its apps, now and later: a router is mounted
 * on an app only after its routes are declared, and a gate defers its global Origin check only once it
 * knows some route has its own policy. The first call adds `ws` to the Router prototype (Express 4's
 * router `proto`, Express 5's `router` package), so `express.Router()` instances of that copy have it.
 */
export function declaredRoutes(proto: object): DeclaredRoutes<never> {
  let routes = declared.get(proto);
  if (!routes) {
    routes = new DeclaredRoutes<never>();
    declared.set(proto, routes);
    Object.defineProperty(proto, 'ws', { value: wsRoute(routes), configurable: true, writable: true });
  }
  return routes;
}

/** Adds `ws` to the app, and the gate to its Express copy's routes. */
export function installSugar(app: Routable, routes: DeclaredRoutes<never>, gate: RouteSink<never>): void {
  routes.serve(gate);
  Object.defineProperty(app, 'ws', { value: wsRoute(routes), configurable: true, writable: true });
}

/**
 * The `ws` paths declared on each app or router: a second route with a path would never be reached (the
 * first one upgrades), a TypeError as in core, Fastify and Koa. A path that differs only in case or a
 * trailing slash is left to Express's own routing options.
 */
const claimed = new WeakMap<object, RoutePaths>();

function wsRoute(routes: DeclaredRoutes<never>) {
  return function ws<T extends Routable>(this: T, path: unknown, ...args: unknown[]): T {
    const { options, middleware, handler } = chainArgs<
      RouteOptions<never>,
      RequestHandler,
      ExpressWsHandler<never, never>
    >(`app.ws('${String(path)}')`, args);
    if (typeof path === 'string') {
      const paths = claimed.get(this) ?? new RoutePaths();
      claimed.set(this, paths);
      paths.claim(path);
    }
    routes.declare(path, options);
    const upgrade = upgradeHandler(handler, options);
    // The guard keeps plain GETs out of the route's middleware; with none, the upgrade handler's own
    // `next()` for a plain GET does the same, one layer fewer on every upgrade.
    if (middleware.length === 0) this.get(path, upgrade);
    else this.get(path, onlyUpgrades, ...middleware, upgrade);
    return this;
  };
}
