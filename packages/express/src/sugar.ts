import type { RouteOptions } from '@wsgate/core';
import type { RequestHandler } from 'express-serve-static-core';
import { onlyUpgrades, upgradeHandler } from './handler.js';
import type { ExpressWsHandler } from './types.js';

/** What route-level options must be registered with: every gate whose app shares the Router prototype. */
export interface OptionsSink {
  settings(options: RouteOptions<never>): unknown;
  /** Records the route for `gate.asyncapi()` (contracts). */
  describeRoute(path: string, options: RouteOptions<never> | undefined): void;
}

interface Routable {
  get(path: unknown, ...handlers: RequestHandler[]): unknown;
}

interface Shared {
  gates: Set<OptionsSink>;
  options: Set<RouteOptions<never>>;
  /** Declared `ws` routes, for `gate.asyncapi()` of gates created later. */
  routes: Map<string, RouteOptions<never> | undefined>;
}

/** Per Express copy (its Router prototype): the gates of its apps and the route options declared on it. */
const shared = new WeakMap<object, Shared>();

/**
 * Validates route options eagerly and registers them with every gate of this Express copy, now and later:
 * a router is mounted on an app only after its routes are declared, and a gate defers its global Origin
 * check only once it knows some route has its own policy.
 */
export function registerOptions(
  proto: object,
  options: RouteOptions<never> | undefined,
  path?: unknown,
): void {
  const s = shared.get(proto);
  if (!s) return;
  if (typeof path === 'string') {
    s.routes.set(path, options);
    for (const gate of s.gates) gate.describeRoute(path, options);
  }
  if (options === undefined) return;
  for (const gate of s.gates) gate.settings(options); // throws a TypeError on bad options
  s.options.add(options);
}

/**
 * Adds `ws` to the app and to the Router prototype of the app's own Express copy (Express 4's router
 * `proto`, Express 5's `router` package), so `express.Router()` instances of that copy have it too.
 */
export function installSugar(app: Routable, proto: object, gate: OptionsSink): void {
  let s = shared.get(proto);
  if (!s) {
    s = { gates: new Set(), options: new Set(), routes: new Map() };
    shared.set(proto, s);
    Object.defineProperty(proto, 'ws', { value: wsRoute(proto), configurable: true, writable: true });
  }
  s.gates.add(gate);
  for (const options of s.options) gate.settings(options);
  for (const [path, options] of s.routes) gate.describeRoute(path, options);
  Object.defineProperty(app, 'ws', { value: wsRoute(proto), configurable: true, writable: true });
}

/** The `ws` paths declared on each app or router. */
const declared = new WeakMap<object, Set<string>>();

/**
 * A second `ws` route with the same path on one app or router would never be reached (the first one
 * upgrades): a TypeError, as in core, Fastify and Koa. A path that differs only in case or a trailing
 * slash is left to Express's own routing options.
 */
function claimPath(router: object, path: unknown): void {
  if (typeof path !== 'string') return;
  const paths = declared.get(router) ?? new Set<string>();
  declared.set(router, paths);
  if (paths.has(path)) throw new TypeError(`wsgate: ws route ${path} is already declared on this router`);
  paths.add(path);
}

function wsRoute(proto: object) {
  return function ws<T extends Routable>(this: T, path: unknown, ...rest: unknown[]): T {
    const options =
      rest.length > 1 && rest[0] !== null && typeof rest[0] === 'object' && !Array.isArray(rest[0])
        ? (rest.shift() as RouteOptions<never>)
        : undefined;
    const handler = rest.pop() as ExpressWsHandler<never, never>;
    claimPath(this, path);
    registerOptions(proto, options, path);
    this.get(path, onlyUpgrades, ...(rest as RequestHandler[]), upgradeHandler(handler, options));
    return this;
  };
}
