import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { RouteOptions } from '@wsgate/core';
import {
  type DeclaredRoutes,
  frameworkDefaults,
  Gate,
  PreparedUpgrade,
  routeArgs,
  type TrustProxy,
  wrapMethod,
} from '@wsgate/core/adapter';
import type { Request, RequestHandler } from 'express-serve-static-core';
import { upgradeHandler } from './handler.js';
import { declaredRoutes, installSugar } from './sugar.js';
import type { ExpressGateOptions, ExpressUser, ExpressWsHandler, SessionParams } from './types.js';

/**
 * The parts of an Express 4 or 5 application wsgate uses (structural, so apps typed with either major's
 * `@types/express` fit).
 */
export interface ExpressApp {
  (req: IncomingMessage, res: ServerResponse): unknown;
  get(setting: string): unknown;
  listen(...args: never[]): Server;
}

/**
 * A gate whose upgrades run through an Express app: `gate.prepare`, then the app's own router, middleware
 * and error handler with the upgrade's bound response; an `upgrade()` handler completes the handshake.
 */
export class ExpressGate<TUser = ExpressUser> extends Gate<TUser> {
  readonly #app: ExpressApp;
  /** The `ws` routes of the app's Express copy, which `upgrade()` options join. */
  readonly #routes: DeclaredRoutes<never>;

  /** @internal use {@link wsgate} */
  constructor(app: ExpressApp, routes: DeclaredRoutes<never>, options: ExpressGateOptions<TUser>) {
    super(options);
    this.#app = app;
    this.#routes = routes;
    hearChainErrors(app, (err, req) => this.frameworkError(err, req));
  }

  /**
   * An ordinary Express handler that upgrades: use it on `app.get`, any `Router`, under any mount prefix
   * and after any middleware. Non-upgrade requests go on with `next()`. `options` are route-level wsgate
   * options (origins, authenticate, protocols, maxPayload, ...), validated now; they come first, as in
   * `app.ws(path, options, handler)` (the older `upgrade(handler, options)` order works too).
   */
  upgrade<P extends object = Request['params']>(handler: Upgrader<TUser, P>): RequestHandler<P>;
  upgrade<P extends object = Request['params']>(
    options: RouteOptions<TUser>,
    handler: Upgrader<TUser, P>,
  ): RequestHandler<P>;
  /** @deprecated put the options first: `upgrade(options, handler)`, as everywhere else. */
  upgrade<P extends object = Request['params']>(
    handler: Upgrader<TUser, P>,
    options: RouteOptions<TUser> | undefined,
  ): RequestHandler<P>;
  upgrade(
    a: RouteOptions<TUser> | Upgrader<TUser, object>,
    b?: RouteOptions<TUser> | Upgrader<TUser, object>,
  ): RequestHandler {
    const { handler, options } = routeArgs<RouteOptions<TUser>, Upgrader<TUser, object>>(
      'upgrade() (session, req) => ...',
      a,
      b,
    );
    this.#routes.declare(undefined, options as RouteOptions<never> | undefined);
    return upgradeHandler(handler, options);
  }

  /** Runs one upgrade through the Express app: what no route upgrades gets Express's 404. */
  protected override runFramework(up: PreparedUpgrade<TUser>): void {
    (up.req as { ws?: boolean }).ws = true;
    this.#app(up.req, up.response);
  }
}

/** The handler of `gate.upgrade`: `session.params` is `req.params`. */
type Upgrader<TUser, P extends object> = ExpressWsHandler<TUser, Request<P>, SessionParams<P>>;

interface RouterHost {
  lazyrouter?: () => void;
  _router?: object;
  router?: object;
}

type Done = (err?: unknown) => void;
interface RouterInstance {
  handle(this: unknown, req: IncomingMessage, res: ServerResponse, done: Done): unknown;
}

/**
 * An error that passes every error middleware reaches Express's final handler, which answers it (500 or
 * the error's status) and tells no one else. The app's router is wrapped once so that, on upgrades only,
 * that error is also reported (`onError`, phase 'framework') on its way to the final handler.
 */
function hearChainErrors(app: ExpressApp, report: (err: unknown, req: IncomingMessage) => void): void {
  const host = app as unknown as RouterHost;
  const router = (host._router ?? host.router) as RouterInstance | undefined;
  if (!router) return;
  wrapMethod(
    router,
    'handle',
    (handle) =>
      function (this: unknown, req, res, done) {
        if (!PreparedUpgrade.of(req)) return handle.call(this, req, res, done);
        return handle.call(this, req, res, (err?: unknown) => {
          if (err != null && err !== 'route' && err !== 'router') report(err, req);
          done(err);
        });
      },
  );
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
  const routes = declaredRoutes(routerPrototype(app));
  // Read on every upgrade, so `app.set('trust proxy', ...)` after wsgate() still applies.
  const trustProxy: TrustProxy = (addr, hop) =>
    (app.get('trust proxy fn') as ((a: string, h: number) => boolean) | undefined)?.(addr, hop) ?? false;
  const gate = new ExpressGate<TUser>(app, routes, frameworkDefaults(options, { trustProxy }));
  installSugar(app as never, routes, gate as never);
  gate.attachOnListen(app);
  return gate;
}
