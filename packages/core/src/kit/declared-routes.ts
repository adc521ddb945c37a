import type { RouteOptions } from '../options.js';

/** What a gate does with a declared WebSocket route: the two {@link Gate} methods {@link DeclaredRoutes} calls. */
export interface RouteSink<TUser> {
  /** Validates route options (a TypeError names the bad option); see `Gate.settings`. */
  settings(options: RouteOptions<TUser>): unknown;
  /** Records the route for `gate.asyncapi()`; see `Gate.describeRoute`. */
  describeRoute(path: string, options: RouteOptions<TUser> | undefined): void;
}

/**
 * The WebSocket routes an app declares, told to every gate that serves the app, whichever comes first: a
 * router is built before it is mounted, and a Fastify plugin loads after the routes declared beside it.
 * Each gate validates every route's options (bad options fail at startup, never on the first upgrade) and
 * records every route for `gate.asyncapi()`; a gate that joins later hears everything declared so far.
 */
export class DeclaredRoutes<TUser = unknown> {
  readonly #gates = new Set<RouteSink<TUser>>();
  /** Route options in declaration order, each object once (a gate caches its settings per object). */
  readonly #options = new Set<RouteOptions<TUser>>();
  /** The routes by path as declared (`/rooms/:room`); a path declared again keeps its latest options. */
  readonly #routes = new Map<string, RouteOptions<TUser> | undefined>();

  /**
   * Declares a route to every gate, now and later. A `path` that is not a string (an Express RegExp) or
   * is undefined (`gate.upgrade(options, handler)`, whose path the router knows) has its options validated
   * but no `asyncapi()` channel. Throws the gate's TypeError on bad options.
   */
  declare(path: unknown, options: RouteOptions<TUser> | undefined): void {
    if (options !== undefined) {
      for (const gate of this.#gates) gate.settings(options);
      this.#options.add(options);
    }
    if (typeof path !== 'string') return;
    this.#routes.set(path, options);
    for (const gate of this.#gates) gate.describeRoute(path, options);
  }

  /** Adds a gate: it validates and records every route declared so far, then each one declared later. */
  serve(gate: RouteSink<TUser>): void {
    for (const options of this.#options) gate.settings(options);
    for (const [path, options] of this.#routes) gate.describeRoute(path, options);
    this.#gates.add(gate);
  }
}
