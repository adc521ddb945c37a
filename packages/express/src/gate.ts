import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  Gate,
  type GateOptions,
  type PreparedUpgrade,
  type RouteOptions,
  type TrustProxy,
} from '@wsgate/core';
import type { Request, RequestHandler } from 'express-serve-static-core';
import { upgradeHandler } from './handler.js';
import { installSugar, registerOptions } from './sugar.js';
import type { ExpressUser, ExpressWsHandler } from './types.js';

/**
 * The parts of an Express 4 or 5 application wsgate uses (structural, so apps typed with either major's
 * `@types/express` fit).
 */
export interface ExpressApp {
  (req: IncomingMessage, res: ServerResponse): unknown;
  get(setting: string): unknown;
  listen(...args: never[]): Server;
}

/** Options of {@link wsgate}: the core gate's options; `trustProxy` defaults to the app's `trust proxy`. */
export type ExpressGateOptions<TUser> = GateOptions<TUser>;

/**
 * A gate whose upgrades run through an Express app: `gate.prepare`, then the app's own router, middleware
 * and error handler with the upgrade's bound response; an `upgrade()` handler completes the handshake.
 */
export class ExpressGate<TUser = ExpressUser> extends Gate<TUser> {
  readonly #app: ExpressApp;
  readonly #proto: object;

  /** @internal use {@link wsgate} */
  constructor(app: ExpressApp, proto: object, options: ExpressGateOptions<TUser>) {
    super(options);
    this.#app = app;
    this.#proto = proto;
  }

  /**
   * An ordinary Express handler that upgrades: use it on `app.get`, any `Router`, under any mount prefix
   * and after any middleware. Non-upgrade requests go on with `next()`. `options` are route-level wsgate
   * options (origins, authenticate, protocols, maxPayload, ...), validated now.
   */
  upgrade<P = Request['params']>(
    handler: ExpressWsHandler<TUser, Request<P>>,
    options?: RouteOptions<TUser>,
  ): RequestHandler<P> {
    registerOptions(this.#proto, options as RouteOptions<never> | undefined);
    return upgradeHandler(handler, options) as unknown as RequestHandler<P>;
  }

  /** Runs one upgrade through the Express app: what no route upgrades gets Express's 404. */
  protected override runFramework(up: PreparedUpgrade<TUser>): void {
    (up.req as { ws?: boolean }).ws = true;
    this.#app(up.req, up.response);
  }
}

interface RouterHost {
  lazyrouter?: () => void;
  _router?: object;
  router?: object;
}

/**
 * The Router prototype of the app's own Express copy. Express 4 creates its router in `lazyrouter()`;
 * Express 5 in the `router` getter (both read `strict routing` and `case sensitive routing` then, as
 * the first `app.use` would).
 */
function routerPrototype(app: ExpressApp): object {
  const host = app as unknown as RouterHost;
  let router: object | undefined;
  if (typeof host.lazyrouter === 'function') {
    host.lazyrouter();
    router = host._router;
  } else router = host.router;
  let proto = router === undefined ? null : Object.getPrototypeOf(router);
  // Express 5's routers inherit from a Router instance, which inherits from Router.prototype.
  while (proto !== null && !Object.hasOwn(proto, 'route')) proto = Object.getPrototypeOf(proto);
  if (proto === null) throw new TypeError('wsgate: expected an Express 4 or 5 application');
  return proto as object;
}

/**
 * Adds WebSockets to an Express 4 or 5 app whose middleware decides before the handshake. Hooks
 * `app.listen()`; for `http`/`https.createServer(app)` call `gate.attach(server)` (attaching twice is
 * harmless). Adds `app.ws()`, `router.ws()` on the app's own Express copy, and `req.ws`. Call it after
 * `app.set('strict routing' | 'case sensitive routing')`, as you would `app.use`.
 */
export function wsgate<TUser = ExpressUser>(
  app: ExpressApp,
  options: ExpressGateOptions<TUser> = {},
): ExpressGate<TUser> {
  if (typeof app !== 'function' || typeof app.listen !== 'function') {
    throw new TypeError('wsgate: the first argument must be an Express application');
  }
  const proto = routerPrototype(app);
  // Read on every upgrade, so `app.set('trust proxy', ...)` after wsgate() still applies.
  const trustProxy: TrustProxy = (addr, hop) =>
    (app.get('trust proxy fn') as ((a: string, h: number) => boolean) | undefined)?.(addr, hop) ?? false;
  const gate = new ExpressGate<TUser>(app, proto, { trustProxy, ...options });
  installSugar(app as never, proto, gate as never);
  gate.attachOnListen(app);
  return gate;
}
