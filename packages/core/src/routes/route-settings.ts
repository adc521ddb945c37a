import {
  type GateOptions,
  type RouteOptions,
  resolveSettings,
  type Settings,
  validateRouteOptions,
} from '../options.js';

/**
 * The settings each route runs with: the gate's options with the route's on top, defaults filled in
 * (options.ts), validated and resolved once per route options object, not per upgrade.
 */
export class RouteSettings<TUser> {
  /** The gate's own settings (a route without options, and every check before the route is known). */
  readonly defaults: Settings<TUser>;
  readonly #gate: GateOptions<TUser>;
  readonly #byOptions = new WeakMap<RouteOptions<TUser>, Settings<TUser>>();
  #originOverrides = 0;

  constructor(gate: GateOptions<TUser>) {
    this.#gate = gate;
    this.defaults = resolveSettings(gate);
  }

  /**
   * Whether some route has an Origin policy of its own (`origins`, `requireOrigin`). While none has, a
   * gate-level Origin refusal is final before the route is known; otherwise the route decides in `accept`.
   */
  get originOverrides(): boolean {
    return this.#originOverrides > 0;
  }

  /** The settings for a route's options (a TypeError naming a bad option), the gate's own without. */
  get(options: RouteOptions<TUser> | undefined): Settings<TUser> {
    if (options === undefined) return this.defaults;
    let s = this.#byOptions.get(options);
    if (!s) {
      validateRouteOptions(options as Record<string, unknown>);
      s = resolveSettings(this.#gate, options);
      this.#byOptions.set(options, s);
      if (options.origins !== undefined || options.requireOrigin !== undefined) this.#originOverrides++;
    }
    return s;
  }
}
