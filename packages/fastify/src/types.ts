import type {
  GateOptions,
  InjectOptions,
  Message,
  MessageOf,
  Params,
  RouteParams,
  SendData,
  SendOf,
  Session,
  RouteOptions as WsRouteOptions,
} from '@wsgate/core';
import type {
  ContextConfigDefault,
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  FastifySchema,
  FastifyTypeProvider,
  FastifyTypeProviderDefault,
  HTTPMethods,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerBase,
  RawServerDefault,
  RouteGenericInterface,
  RouteShorthandOptions,
} from 'fastify';
import type { WebSocket } from 'ws';
import type { FastifyGate } from './gate.js';

/**
 * Declaration-merge a `user` field into this interface to type `session.user` on every Fastify WebSocket
 * route and `fastify.wsgate` (a Fastify plugin is registered, not called, so it cannot infer a type
 * parameter from `authenticate`):
 *
 * @example
 * declare module '@wsgate/fastify' {
 *   interface FastifyGateTypes { user: { id: string; name: string } }
 * }
 */
// biome-ignore lint/suspicious/noEmptyInterface: an interface, so applications can merge into it.
export interface FastifyGateTypes {}

/** The type of `session.user` on Fastify routes: `FastifyGateTypes['user']` when declared, else `unknown`. */
export type FastifyUser = FastifyGateTypes extends { user: infer TUser } ? TUser : unknown;

/**
 * Options of the `@wsgate/fastify` plugin: every {@link GateOptions} of `@wsgate/core`. Two defaults come
 * from Fastify instead of core: `logger` is `fastify.log`, and `trustProxy` is Fastify's own `trustProxy`.
 */
export interface FastifyGateOptions<TUser = FastifyUser> extends GateOptions<TUser> {}

/** @deprecated renamed {@link FastifyGateOptions}, as `ExpressGateOptions` and `KoaGateOptions`. */
export type WsgateFastifyOptions<TUser = FastifyUser> = FastifyGateOptions<TUser>;

/**
 * A WebSocket handler on a Fastify route: called once per session, after the 101, with the Fastify request
 * that went through the route's hooks and schema. The request's generics (Params, Querystring, Headers)
 * come from the route; `session.params` is typed from the route's path (`TParams`) and `session.user` is
 * `TUser`. A throw or rejection closes the session with 1011 and goes to `onError`.
 */
export type FastifyWsHandler<
  RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
  RawServer extends RawServerBase = RawServerDefault,
  RawRequest extends RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
  SchemaCompiler extends FastifySchema = FastifySchema,
  TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
  ContextConfig = ContextConfigDefault,
  Logger extends FastifyBaseLogger = FastifyBaseLogger,
  TParams extends object = Params,
  TUser = FastifyUser,
  TMessage = Message,
  TSend = SendData,
> = (
  this: FastifyInstance,
  session: Session<TUser, TParams, TMessage, TSend>,
  request: FastifyRequest<
    RouteGeneric,
    RawServer,
    RawRequest,
    SchemaCompiler,
    TypeProvider,
    ContextConfig,
    Logger
  >,
) => unknown;

/** @deprecated renamed {@link FastifyWsHandler}, as `ExpressWsHandler` and `KoaWsHandler`. */
export type { FastifyWsHandler as WsHandler };

/** Options of `fastify.injectWS()`: core's inject options without `server` (always `fastify.server`). */
export type InjectWSOptions = Omit<InjectOptions, 'server'>;

/** A Fastify instance's type parameters, named once for the declarations below. */
interface InstanceTypes<
  TServer extends RawServerBase,
  TRequest extends RawRequestDefaultExpression<TServer>,
  TReply extends RawReplyDefaultExpression<TServer>,
  TLogger extends FastifyBaseLogger,
  TProvider extends FastifyTypeProvider,
> {
  server: TServer;
  request: TRequest;
  reply: TReply;
  logger: TLogger;
  provider: TProvider;
}
// biome-ignore lint/suspicious/noExplicitAny: any instance's types, as a constraint.
type AnyInstance = InstanceTypes<any, any, any, any, any>;

/** One route's type parameters: its generic (Params, Querystring...), config, schema and path. */
interface RouteTypes<
  TRoute extends RouteGenericInterface,
  TConfig,
  TSchema extends FastifySchema,
  TPath extends string,
> {
  route: TRoute;
  config: TConfig;
  schema: TSchema;
  path: TPath;
}
// biome-ignore lint/suspicious/noExplicitAny: any route's types, as a constraint.
type AnyRoute = RouteTypes<any, any, any, any>;

/** Fastify's shorthand route options for a route `R` on an instance `I`. */
type ShorthandOf<I extends AnyInstance, R extends AnyRoute> = RouteShorthandOptions<
  I['server'],
  I['request'],
  I['reply'],
  R['route'],
  R['config'],
  R['schema'],
  I['provider'],
  I['logger']
>;

/** The WebSocket handler of a route `R` on an instance `I`: `session.params` from the path, messages from `TWs`. */
type SocketHandlerOf<I extends AnyInstance, R extends AnyRoute, TWs = unknown> = FastifyWsHandler<
  R['route'],
  I['server'],
  I['request'],
  R['schema'],
  I['provider'],
  R['config'],
  I['logger'],
  RouteParams<R['path']>,
  FastifyUser,
  MessageOf<TWs>,
  SendOf<TWs>
>;

/** A `route({ websocket: true, ... })` declaration: Fastify's route options with the WebSocket handler. */
type SocketRouteOf<I extends AnyInstance, R extends AnyRoute> = Omit<ShorthandOf<I, R>, 'websocket'> & {
  method: HTTPMethods | HTTPMethods[];
  url: R['path'];
  websocket: true;
  handler: SocketHandlerOf<I, R>;
};

declare module 'fastify' {
  interface FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider> {
    /** The `@wsgate/core` gate behind the plugin: sessions, `publish`, `stats()`, events. */
    wsgate: FastifyGate<FastifyUser>;

    /**
     * Declares a WebSocket-only GET route: the upgrade runs the route's hooks and schema first, then
     * `handler(session, request)`. A plain HTTP request to the path gets a 404.
     */
    ws<RouteGeneric extends RouteGenericInterface = RouteGenericInterface, TPath extends string = string>(
      path: TPath,
      handler: SocketHandlerOf<
        InstanceTypes<RawServer, RawRequest, RawReply, Logger, TypeProvider>,
        RouteTypes<RouteGeneric, ContextConfigDefault, FastifySchema, TPath>
      >,
    ): FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>;
    /** With `ws: { message, send }` schemas, the handler's messages and `session.send` are typed (contracts). */
    ws<
      RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
      ContextConfig = ContextConfigDefault,
      const SchemaCompiler extends FastifySchema = FastifySchema,
      TPath extends string = string,
      const TWs extends WsRouteOptions<FastifyUser> = WsRouteOptions<FastifyUser>,
    >(
      path: TPath,
      options: Omit<
        ShorthandOf<
          InstanceTypes<RawServer, RawRequest, RawReply, Logger, TypeProvider>,
          RouteTypes<RouteGeneric, ContextConfig, SchemaCompiler, TPath>
        >,
        'ws'
      > & { ws?: TWs },
      handler: SocketHandlerOf<
        InstanceTypes<RawServer, RawRequest, RawReply, Logger, TypeProvider>,
        RouteTypes<RouteGeneric, ContextConfig, SchemaCompiler, TPath>,
        TWs
      >,
    ): FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>;

    /**
     * Opens a real `ws` client through the app's hooks with no port (after `ready()`). Resolves once open;
     * rejects with an `InjectRejectedError` carrying the HTTP `status` when a hook or schema refused.
     */
    injectWS(path: string, options?: InjectWSOptions): Promise<WebSocket>;

    /** `{ websocket: true }` routes: `handler` is the WebSocket handler (the `@fastify/websocket` style). */
    route<
      RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
      ContextConfig = ContextConfigDefault,
      const SchemaCompiler extends FastifySchema = FastifySchema,
      TPath extends string = string,
    >(
      opts: SocketRouteOf<
        InstanceTypes<RawServer, RawRequest, RawReply, Logger, TypeProvider>,
        RouteTypes<RouteGeneric, ContextConfig, SchemaCompiler, TPath>
      >,
    ): FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>;
  }

  interface FastifyRequest {
    /** True while the request is a WebSocket upgrade that wsgate is handling: answer 401, not a redirect. */
    ws: boolean;
  }

  interface RouteShorthandOptions<
    RawServer extends RawServerBase = RawServerDefault,
    RawRequest extends RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
    RawReply extends RawReplyDefaultExpression<RawServer> = RawReplyDefaultExpression<RawServer>,
    RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
    ContextConfig = ContextConfigDefault,
    SchemaCompiler extends FastifySchema = FastifySchema,
    TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
    Logger extends FastifyBaseLogger = FastifyBaseLogger,
  > {
    /** wsgate options for this route (origins, authenticate, protocols, maxPayload, ...), validated eagerly. */
    ws?: WsRouteOptions<FastifyUser>;
    /** `true`: `handler` is a WebSocket handler `(session, request)`; plain HTTP gets a 404. @default false */
    websocket?: boolean;
    /** The WebSocket handler beside the HTTP `handler`: a page and its socket on one path. */
    wsHandler?: SocketHandlerOf<
      InstanceTypes<RawServer, RawRequest, RawReply, Logger, TypeProvider>,
      RouteTypes<RouteGeneric, ContextConfig, SchemaCompiler, string>
    >;
  }

  interface RouteShorthandMethod<
    RawServer extends RawServerBase = RawServerDefault,
    RawRequest extends RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
    RawReply extends RawReplyDefaultExpression<RawServer> = RawReplyDefaultExpression<RawServer>,
    TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
    Logger extends FastifyBaseLogger = FastifyBaseLogger,
  > {
    /** `{ websocket: true }`: the handler is a WebSocket handler `(session, request)`. */
    // biome-ignore lint/style/useShorthandFunctionType: an interface, so it merges with Fastify's overloads.
    <
      RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
      ContextConfig = ContextConfigDefault,
      const SchemaCompiler extends FastifySchema = FastifySchema,
      TPath extends string = string,
    >(
      path: TPath,
      opts: ShorthandOf<
        InstanceTypes<RawServer, RawRequest, RawReply, Logger, TypeProvider>,
        RouteTypes<RouteGeneric, ContextConfig, SchemaCompiler, TPath>
      > & { websocket: true },
      handler: SocketHandlerOf<
        InstanceTypes<RawServer, RawRequest, RawReply, Logger, TypeProvider>,
        RouteTypes<RouteGeneric, ContextConfig, SchemaCompiler, TPath>
      >,
    ): FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>;
  }
}
