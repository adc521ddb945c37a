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
  RouteOptions as FastifyRouteOptions,
  FastifySchema,
  FastifyTypeProvider,
  FastifyTypeProviderDefault,
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
      handler: FastifyWsHandler<
        RouteGeneric,
        RawServer,
        RawRequest,
        FastifySchema,
        TypeProvider,
        ContextConfigDefault,
        Logger,
        RouteParams<TPath>
      >,
    ): FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>;
    /** With `ws: { message, send }` schemas: the handler's messages and `session.send` are typed (contracts). */
    ws<
      RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
      ContextConfig = ContextConfigDefault,
      const SchemaCompiler extends FastifySchema = FastifySchema,
      TPath extends string = string,
      const TWs extends WsRouteOptions<FastifyUser> = WsRouteOptions<FastifyUser>,
    >(
      path: TPath,
      options: Omit<
        RouteShorthandOptions<
          RawServer,
          RawRequest,
          RawReply,
          RouteGeneric,
          ContextConfig,
          SchemaCompiler,
          TypeProvider,
          Logger
        >,
        'ws'
      > & { ws: TWs },
      handler: FastifyWsHandler<
        RouteGeneric,
        RawServer,
        RawRequest,
        SchemaCompiler,
        TypeProvider,
        ContextConfig,
        Logger,
        RouteParams<TPath>,
        FastifyUser,
        MessageOf<TWs>,
        SendOf<TWs>
      >,
    ): FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>;
    ws<
      RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
      ContextConfig = ContextConfigDefault,
      const SchemaCompiler extends FastifySchema = FastifySchema,
      TPath extends string = string,
    >(
      path: TPath,
      options: RouteShorthandOptions<
        RawServer,
        RawRequest,
        RawReply,
        RouteGeneric,
        ContextConfig,
        SchemaCompiler,
        TypeProvider,
        Logger
      >,
      handler: FastifyWsHandler<
        RouteGeneric,
        RawServer,
        RawRequest,
        SchemaCompiler,
        TypeProvider,
        ContextConfig,
        Logger,
        RouteParams<TPath>
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
      opts: Omit<
        FastifyRouteOptions<
          RawServer,
          RawRequest,
          RawReply,
          RouteGeneric,
          ContextConfig,
          SchemaCompiler,
          TypeProvider,
          Logger
        >,
        'handler' | 'websocket' | 'url'
      > & {
        url: TPath;
        websocket: true;
        handler: FastifyWsHandler<
          RouteGeneric,
          RawServer,
          RawRequest,
          SchemaCompiler,
          TypeProvider,
          ContextConfig,
          Logger,
          RouteParams<TPath>
        >;
      },
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
    wsHandler?: FastifyWsHandler<
      RouteGeneric,
      RawServer,
      RawRequest,
      SchemaCompiler,
      TypeProvider,
      ContextConfig,
      Logger
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
      opts: RouteShorthandOptions<
        RawServer,
        RawRequest,
        RawReply,
        RouteGeneric,
        ContextConfig,
        SchemaCompiler,
        TypeProvider,
        Logger
      > & { websocket: true },
      handler: FastifyWsHandler<
        RouteGeneric,
        RawServer,
        RawRequest,
        SchemaCompiler,
        TypeProvider,
        ContextConfig,
        Logger,
        RouteParams<TPath>
      >,
    ): FastifyInstance<RawServer, RawRequest, RawReply, Logger, TypeProvider>;
  }
}
