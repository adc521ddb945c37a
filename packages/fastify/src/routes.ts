import { subscribe } from 'node:diagnostics_channel';
import { acceptOnce, DeclaredRoutes, PreparedUpgrade, redactUrl } from '@wsgate/core/adapter';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { FastifyUser, FastifyWsHandler } from './types.js';

/**
 * The WebSocket routes declared on a Fastify instance tree, told to its gate once the plugin has loaded:
 * a property of the root instance, which encapsulated children inherit through their prototype.
 */
const kRoutes = Symbol('wsgate.routes');
const kSeen = Symbol('wsgate.route');

type Handler = (this: FastifyInstance, a: unknown, b: unknown) => unknown;
type Opts = RouteOptions & { [kSeen]?: true };

/** The routes of an instance's tree: the gate serves them, and the onRoute hook shapes them. */
export function routesOf(instance: FastifyInstance): DeclaredRoutes<FastifyUser> {
  const host = instance as FastifyInstance & { [kRoutes]?: DeclaredRoutes<FastifyUser> };
  if (host[kRoutes]) return host[kRoutes];
  const routes = new DeclaredRoutes<FastifyUser>();
  host[kRoutes] = routes;
  instance.addHook('onRoute', function (this: FastifyInstance, opts) {
    shapeRoute(this, opts as Opts, routes);
  });
  return routes;
}

// onRoute only sees routes declared after the hook exists, and `app.register(wsgate)` loads lazily, so a
// route declared right after it would be missed. Fastify announces every new instance on this channel:
// hooking there lets routes declared before the plugin loads work too. The hook only changes routes that
// carry `websocket`, `wsHandler` or `ws`, and stays transparent when wsgate is never registered.
subscribe('fastify.initialization', (message) => {
  const instance = (message as { fastify?: FastifyInstance }).fastify;
  if (instance) routesOf(instance);
});

/** Turns a route's `websocket`/`wsHandler`/`ws` options into one handler that serves both HTTP and upgrades. */
function shapeRoute(instance: FastifyInstance, opts: Opts, routes: DeclaredRoutes<FastifyUser>): void {
  if (opts[kSeen]) return;
  opts[kSeen] = true;
  const methods = [opts.method].flat();
  const socketOnly = opts.websocket === true;
  const wsHandler = (socketOnly ? opts.handler : opts.wsHandler) as Handler | undefined;
  if (methods.every((m) => m === 'HEAD')) {
    // Fastify's automatic HEAD copy of a WebSocket route (an upgrade is always a GET).
    if (socketOnly) opts.handler = notFound;
    return;
  }
  const page = opts.handler as unknown as Handler;
  if (wsHandler === undefined) {
    if (!methods.includes('GET')) return;
    redactQueryInLogs(opts, 'upgrades');
    // A GET route without a WebSocket handler: an upgrade gets the app's own 404 after the hooks ran
    // (with the query redacted from its body and log line: see redactNotFound).
    opts.handler = function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      if (PreparedUpgrade.of(request.raw)) return reply.callNotFound();
      return page.call(this, request, reply);
    } as RouteOptions['handler'];
    return;
  }
  if (typeof wsHandler !== 'function')
    throw new TypeError(`wsgate: the WebSocket handler of ${opts.url} must be a function`);
  if (methods.some((m) => m !== 'GET' && m !== 'HEAD'))
    throw new TypeError(`wsgate: WebSocket route ${opts.url} must be GET, not ${methods.join(', ')}`);
  // Fastify would refuse it too, but with a plain Error; a TypeError here, as in core, Express and Koa.
  const { constraints } = opts;
  if (instance.hasRoute({ method: 'GET', url: opts.url, ...(constraints ? { constraints } : {}) }))
    throw new TypeError(`wsgate: route GET ${opts.url} is already declared`);
  const options = opts.ws;
  // The route as declared (a prefix the plugin was registered under included), for gate.asyncapi().
  routes.declare(opts.url, options);
  redactQueryInLogs(opts, 'always');
  // What `request.routeOptions.url` says (a getter that builds a 13-key object per read), read once: Fastify
  // goes on to reuse `opts` for a prefix's trailing-slash twin, whose routeOptions.url is this one too.
  const route = opts.url;
  // Fastify calls the handler with the instance that declared the route: bound once, not per upgrade.
  let bound: FastifyWsHandler | undefined;
  let boundTo: unknown;
  opts.handler = function (this: FastifyInstance, a: unknown, b: unknown) {
    const request = a as FastifyRequest;
    const up = request?.raw ? PreparedUpgrade.of<FastifyUser>(request.raw) : undefined;
    if (!up) {
      if (!socketOnly) return page.call(this, a, b);
      // Called as Fastify's (request, reply): plain HTTP on a socket-only route. Otherwise another plugin
      // (@fastify/websocket on another instance) owns this route and calls its socket handler.
      return isReply(b) ? notFound(request, b) : wsHandler.call(this, a, b);
    }
    const reply = b as FastifyReply;
    // Hooks set headers on the reply, which Fastify writes only when it sends; the 101 carries them instead.
    const headers = replyHeaders(reply);
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined) reply.raw.setHeader(name, value as string);
    }
    reply.hijack();
    if (boundTo !== this) {
      bound = wsHandler.bind(this) as FastifyWsHandler;
      boundTo = this;
    }
    acceptOnce(
      up,
      {
        handler: bound as FastifyWsHandler,
        context: request,
        params: request.params as Record<string, string>,
        route,
        options,
        user: (request as { user?: FastifyUser }).user,
      },
      (err) => request.log.error({ err }, 'wsgate: upgrade failed'),
    );
  } as RouteOptions['handler'];
}

/** Fastify's key for the headers a reply holds until it sends (`reply.header()`), found on first use. */
let kReplyHeaders: symbol | undefined;

/**
 * The headers set on the reply itself, not yet on `reply.raw`: Fastify's own store, read in place.
 * `reply.getHeaders()` would copy them and `raw.getHeaders()` into a new object on every upgrade.
 */
function replyHeaders(reply: FastifyReply): Record<string, unknown> {
  if (kReplyHeaders === undefined || !Object.hasOwn(reply, kReplyHeaders))
    kReplyHeaders = Object.getOwnPropertySymbols(reply).find(
      (s) => s.description === 'fastify.reply.headers',
    );
  const own = kReplyHeaders && (reply as unknown as Record<symbol, Record<string, unknown>>)[kReplyHeaders];
  return own ?? reply.getHeaders();
}

function notFound(_request: FastifyRequest, reply: FastifyReply): void {
  reply.callNotFound();
}

function isReply(value: unknown): value is FastifyReply {
  return typeof (value as FastifyReply | undefined)?.hijack === 'function';
}

type Serializer = (value: unknown) => unknown;

/**
 * Browsers can only authenticate a WebSocket with a cookie or a `?token=` in the URL, so the request
 * serializer (Fastify's "incoming request" line and error lines) drops query values: on WebSocket routes
 * for every request, on other GET routes for upgrades (which they answer with a 404).
 */
function redactQueryInLogs(opts: Opts, when: 'always' | 'upgrades'): void {
  const serializers: Record<string, Serializer> = {};
  // for-in: Fastify chains instance-level serializers through the prototype.
  for (const key in opts.logSerializers) serializers[key] = opts.logSerializers[key] as Serializer;
  const inner = serializers.req;
  serializers.req = (value) => {
    const out = inner ? inner(value) : defaultReqShape(value as FastifyRequest);
    if (when === 'upgrades') {
      const raw = (value as Partial<FastifyRequest> | null)?.raw;
      if (raw === undefined || PreparedUpgrade.of(raw) === undefined) return out;
    }
    if (out && typeof out === 'object' && typeof (out as { url?: unknown }).url === 'string') {
      return { ...out, url: redactUrl((out as { url: string }).url) };
    }
    return out;
  };
  opts.logSerializers = serializers;
}

/** The shape of Fastify's default `req` serializer. */
function defaultReqShape(req: FastifyRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: req.url,
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}
