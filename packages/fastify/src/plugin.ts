import {
  frameworkDefaults,
  PreparedUpgrade,
  routeArgs,
  type TrustProxy,
  wrapMethod,
} from '@wsgate/core/adapter';
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  RouteShorthandOptions,
} from 'fastify';
import fp from 'fastify-plugin';
import { FastifyGate, redactQuery } from './gate.js';
import { routesOf } from './routes.js';
import type { FastifyGateOptions, FastifyWsHandler, InjectWSOptions } from './types.js';

/** `fastify.ws(path, options?, handler)` after the path. */
type WsArgs = [options: RouteShorthandOptions | FastifyWsHandler, handler?: FastifyWsHandler];

const plugin: FastifyPluginAsync<FastifyGateOptions> = async (fastify, options) => {
  if (fastify.hasPlugin('@fastify/websocket') || fastify.hasDecorator('websocketServer')) {
    throw new Error(
      '@wsgate/fastify: @fastify/websocket is registered on this instance; both would answer every ' +
        'upgrade. Use one of them (wsgate also accepts `{ websocket: true }` routes).',
    );
  }
  if (fastify.hasDecorator('wsgate'))
    throw new Error('@wsgate/fastify: the plugin is registered twice on the same instance');
  const gate = new FastifyGate(
    fastify,
    frameworkDefaults(options, { logger: fastify.log, trustProxy: fastifyTrustProxy(fastify) }),
  );
  // Routes declared before the plugin loaded: their `ws` options are validated now, at startup.
  routesOf(fastify).serve(gate);

  fastify.decorate('wsgate', gate);
  fastify.decorateRequest('ws', {
    getter(this: FastifyRequest) {
      return PreparedUpgrade.of(this.raw) !== undefined;
    },
  });
  fastify.decorate('ws', function ws(this: FastifyInstance, path: string, ...args: WsArgs) {
    const { options, handler } = routeArgs(`fastify.ws('${path}', options?, handler)`, ...args);
    return this.route({ ...options, method: 'GET', url: path, websocket: true, handler } as never);
  });
  fastify.decorate('injectWS', async (path: string, injectOptions: InjectWSOptions = {}) => {
    await fastify.ready();
    return gate.inject(path, { ...injectOptions, server: fastify.server });
  });

  redactNotFound(fastify);
  const detach = gate.attach(fastify.server);
  // Sessions close in preClose: onClose runs after server.close(), which waits for every open socket.
  fastify.addHook('preClose', () => gate.close());
  fastify.addHook('onClose', (_instance, next) => {
    detach();
    next();
  });
};

/** A value Fastify keeps under one of its internal symbols, found by the symbol's description. */
function internal<T>(fastify: FastifyInstance, description: string): T | undefined {
  for (let o: object | null = fastify; o; o = Object.getPrototypeOf(o)) {
    const key = Object.getOwnPropertySymbols(o).find((s) => s.description === description);
    if (key) return (o as Record<symbol, T>)[key];
  }
  return undefined;
}

/** Fastify keeps its `trustProxy` option only internally; wsgate must read the same value. */
function fastifyTrustProxy(fastify: FastifyInstance): TrustProxy | undefined {
  return internal<{ trustProxy?: TrustProxy }>(fastify, 'fastify.options')?.trustProxy;
}

/**
 * `reply.callNotFound()` (a GET route that cannot upgrade, or any hook that answers 404) ends in Fastify's
 * 404, whose body and log line echo `request.raw.url`: for an upgrade, a `?token=`. Redacted there, so
 * `request.url` stays intact for the hooks that ran before. Fastify builds route replies on its base
 * Reply prototype, which every instance shares; the wrapper acts only on requests a gate prepared.
 */
function redactNotFound(fastify: FastifyInstance): void {
  let base: FastifyReply | undefined;
  let proto = internal<{ prototype: object }>(fastify, 'fastify.Reply')?.prototype ?? null;
  for (; proto; proto = Object.getPrototypeOf(proto))
    if (Object.hasOwn(proto, 'callNotFound')) base = proto as FastifyReply;
  if (base)
    wrapMethod(
      base,
      'callNotFound',
      (callNotFound) =>
        function (this: FastifyReply) {
          if (PreparedUpgrade.of(this.request.raw) !== undefined) redactQuery(this.request.raw);
          return callNotFound.call(this);
        },
    );
}

/**
 * The wsgate Fastify plugin. WebSocket upgrades go through Fastify's router and lifecycle (`onRequest`,
 * `preParsing`, `preValidation`, `preHandler`, route `schema`) before the handshake, so a hook's reply, a
 * validation 400 and Fastify's 404 reach the client as HTTP. Decorates `fastify.wsgate`, `fastify.ws()`,
 * `fastify.injectWS()` and `request.ws`; sessions are closed in `preClose`.
 *
 * @example
 * await app.register(wsgate, { origins: ['https://app.example.com'] });
 * app.ws('/rooms/:room', { preHandler: auth }, (session, request) => session.send(request.params.room));
 */
export const wsgate = fp(plugin, { fastify: '5.x', name: '@wsgate/fastify' });
