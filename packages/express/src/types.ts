import type { GateOptions, Handler, MessageOf, Params, RouteOptions, SendOf } from '@wsgate/core';
import type {
  ParamsDictionary,
  PathParams,
  Request,
  RequestHandler,
  RouteParameters,
} from 'express-serve-static-core';

/**
 * The user a session carries by default: Express's conventional `Express.User` (empty unless an auth
 * library such as passport, or the app, declares its fields).
 */
export type ExpressUser = Express.User;

/**
 * A WebSocket handler for Express: called once per session, after the 101, with the Express request that
 * went through the app's middleware (`req.user`, `req.session`, `req.params` as they left the chain). A
 * throw or rejection closes the session with 1011 and goes to `onError`; it never reaches Express's error
 * handler. Keep what you need from `req`: it is not retained after the handler has settled. A handler
 * typed by a route's `message`/`send` schemas is core's `Handler<TUser, TRequest, TParams, TMessage, TSend>`.
 */
export type ExpressWsHandler<
  TUser = ExpressUser,
  TRequest = Request,
  TParams extends object = Params,
> = Handler<TUser, TRequest, TParams>;

/** Options of {@link wsgate}: the core gate's options; `trustProxy` defaults to the app's `trust proxy`. */
export type ExpressGateOptions<TUser = ExpressUser> = GateOptions<TUser>;

/**
 * The middleware before a WebSocket handler, then the handler itself; `session.params` is `req.params`, so
 * it is typed as Express types `req.params` from the path.
 */
type Chain<P extends object, TUser, TOptions = unknown> = [
  ...middleware: RequestHandler<P>[],
  handler: Handler<TUser, Request<P>, SessionParams<P>, MessageOf<TOptions>, SendOf<TOptions>>,
];

/**
 * `session.params` for `req.params` typed `P`: what Express infers from a literal path, else core's
 * `Params` (Express's untyped `ParamsDictionary` allows arrays, which would break handlers typed
 * `Session<TUser>`).
 */
export type SessionParams<P extends object> = ParamsDictionary extends P ? Params : P;

/**
 * `app.ws()` / `router.ws()`: a GET route that only upgrade requests enter (plain GETs skip it with
 * `next('route')`). Route-level wsgate options, when given, come right after the path, as in
 * `gate.route(path, options, handler)` and Fastify's `app.ws(path, options, handler)`. Declaring the same
 * path twice on one app or router is a TypeError.
 */
export interface WsRouteMatcher<T> {
  <Route extends string, TUser = ExpressUser>(path: Route, ...chain: Chain<RouteParameters<Route>, TUser>): T;
  // A `message`/`send` schema in the options types the handler's messages and `session.send` (contracts).
  <Route extends string, const TOptions extends RouteOptions<TUser>, TUser = ExpressUser>(
    path: Route,
    options: TOptions,
    ...chain: Chain<RouteParameters<Route>, TUser, TOptions>
  ): T;
  <TUser = ExpressUser>(path: PathParams, ...chain: Chain<ParamsDictionary, TUser>): T;
  <const TOptions extends RouteOptions<TUser>, TUser = ExpressUser>(
    path: PathParams,
    options: TOptions,
    ...chain: Chain<ParamsDictionary, TUser, TOptions>
  ): T;
}

declare global {
  namespace Express {
    /** Declared (empty) so `ExpressUser` exists without passport; auth libraries add the fields. */
    interface User {}
    interface Request {
      /** `true` on WebSocket upgrade requests (so auth middleware can answer 401 rather than redirect). */
      ws?: boolean;
    }
  }
}

declare module 'express-serve-static-core' {
  interface IRouter {
    /** Declares a WebSocket route; see {@link WsRouteMatcher}. Added by `wsgate(app)`. */
    ws: WsRouteMatcher<this>;
  }
}
