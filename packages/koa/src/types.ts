import type {
  GateOptions,
  Handler,
  MessageOf,
  Params,
  RouteOptions,
  RouteParams,
  SendOf,
  Session,
} from '@wsgate/core';
import type { AcceptOptions as CoreAcceptOptions } from '@wsgate/core/adapter';
import type Koa from 'koa';
import type { DefaultContext, DefaultState, Middleware, ParameterizedContext } from 'koa';

/**
 * `ctx.ws` on a WebSocket upgrade request: completes the handshake and resolves with the session.
 *
 * Calling it sets `ctx.respond = false` at once, so Koa does not answer with its own 404 when the chain
 * ends before the 101. It then runs the route-level checks (`origins`, `authenticate`, `protocols`) with
 * the given options, answers the upgrade with 101 (headers the chain set, such as Set-Cookie, go on it)
 * and resolves with the session; `ctx.state.user` becomes `session.user` unless `authenticate` is set.
 * Calling it again returns the same promise.
 *
 * Messages the client sends are queued until the middleware chain settles or the code attaches a
 * `message` listener or starts iterating, so code that awaits something before listening loses none.
 * An error that leaves the chain after the 101 closes the session with 1011 and goes to `onError`; it
 * never writes HTTP into the WebSocket.
 *
 * Rejects (never hangs) with `UpgradeAbortedError` when the upgrade was refused (the client has its HTTP
 * answer), timed out or the client left; letting that rejection propagate is fine, the adapter keeps it
 * out of Koa's error output. Route options given here for `origins`/`requireOrigin` apply only when the
 * object was registered before the upgrade arrived (`gate.settings(options)`), since the gate-level Origin
 * check runs before the middleware chain.
 */
// With a `message`/`send` schema in the options, the session is typed by it (contracts).
export type ContextWs = <TUser = unknown, const TOptions extends RouteOptions<TUser> = RouteOptions<TUser>>(
  options?: TOptions,
) => Promise<Session<TUser, Params, MessageOf<TOptions>, SendOf<TOptions>>>;

/**
 * Options of {@link wsgate}: every `GateOptions` of `@wsgate/core`; `trustProxy` defaults to the app's
 * `proxy` and `maxIpsCount` settings.
 */
export type KoaGateOptions<TUser = unknown> = GateOptions<TUser>;

/**
 * The handler of an `app.ws` route: called once per session, after the 101, with the Koa context.
 * `session.params` is typed from the route's path. A handler typed by a route's `message`/`send` schemas
 * is core's `Handler<TUser, TContext, TParams, TMessage, TSend>`.
 */
export type KoaWsHandler<
  TUser = unknown,
  TContext = ParameterizedContext,
  TParams extends object = Params,
> = Handler<TUser, TContext, TParams>;

/** What follows the path in `app.ws`: route middleware, then the handler. */
export type KoaWsArgs<
  TUser = unknown,
  TState = DefaultState,
  TContext = DefaultContext,
  TParams extends object = Params,
  TOptions = unknown,
> = [
  ...middleware: Middleware<TState, TContext>[],
  handler: Handler<
    TUser,
    ParameterizedContext<TState, TContext>,
    TParams,
    MessageOf<TOptions>,
    SendOf<TOptions>
  >,
];

declare module 'koa' {
  interface ExtendableContext {
    /**
     * On a WebSocket upgrade request, completes the handshake and resolves with the session (see
     * {@link ContextWs}); `undefined` on any other request, so `if (ctx.ws)` tells them apart.
     */
    ws?: ContextWs | undefined;
  }
}

/**
 * `app.ws`, which `wsgate(app)` adds. @types/koa exports the Application class with `export =`, which
 * module augmentation cannot extend, so the typed app is `gate.app` (or use `gate.ws`, the same function).
 */
export interface KoaWsApp<TState = DefaultState, TContext = DefaultContext> {
  /**
   * Defines a WebSocket route. It is matched after the whole `app.use` chain, so the app's middleware
   * (sessions, auth, rate limits) runs first and can answer with HTTP; then the route's own middleware
   * runs, then the handshake, then `handler(session, ctx)`. A handler that throws closes its session with
   * 1011. Optional route options (`maxPayload`, `protocols`, `authenticate`, `origins`, ...) come right
   * after the path. `session.params` is typed from the path; a second route with the same path is a
   * TypeError.
   */
  ws<TUser = unknown, TPath extends string = string>(
    path: TPath,
    ...args: KoaWsArgs<TUser, TState, TContext, RouteParams<TPath>>
  ): this;
  // A `message`/`send` schema in the options types the handler's messages and `session.send` (contracts).
  ws<
    TUser = unknown,
    TPath extends string = string,
    const TOptions extends RouteOptions<TUser> = RouteOptions<TUser>,
  >(
    path: TPath,
    options: TOptions,
    ...args: KoaWsArgs<TUser, TState, TContext, RouteParams<TPath>, TOptions>
  ): this;
}

/** A Koa app with `app.ws`. */
export type WsApp<TState = DefaultState, TContext = DefaultContext> = Koa<TState, TContext> &
  KoaWsApp<TState, TContext>;

/** @deprecated adapter plumbing, not needed to write a Koa app; import it from `@wsgate/core` if at all. */
export type AcceptOptions<TUser, TContext> = CoreAcceptOptions<TUser, TContext>;
