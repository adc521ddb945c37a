import type { IncomingMessage } from 'node:http';
import { Gate, type PreparedUpgrade, redactUrl } from '@wsgate/core/adapter';
import type { FastifyInstance } from 'fastify';
import type { FastifyGateOptions, FastifyUser } from './types.js';

/**
 * The gate behind the plugin, as `fastify.wsgate`: the whole core `Gate` API (sessions, `publish`,
 * `stats()`, events, `close()`), with every upgrade sent through the instance's router and lifecycle.
 * `TUser` is the type of `session.user` (see {@link FastifyGateTypes}).
 */
export class FastifyGate<TUser = FastifyUser> extends Gate<TUser> {
  readonly #fastify: FastifyInstance;

  /** @internal registered by the plugin, one per Fastify instance tree */
  constructor(fastify: FastifyInstance, options: FastifyGateOptions<TUser>) {
    super(options);
    this.#fastify = fastify;
    // A hook or handler that threw during an upgrade: Fastify's error handler answers it; onError hears it.
    fastify.addHook('onError', (request, _reply, error, done) => {
      this.frameworkError(error, request.raw);
      done();
    });
  }

  /** Runs one upgrade through Fastify: what no route upgrades gets Fastify's 404. */
  protected override runFramework(up: PreparedUpgrade<TUser>): void {
    const fastify = this.#fastify;
    const req = up.req;
    // Fastify's own 404 echoes the URL into its body and its log line; with no route to read the query,
    // a `?token=` must not get that far.
    if (
      req.url?.includes('?') &&
      !fastify.findRoute({ method: 'GET', url: req.url, constraints: constraintsOf(req) })
    )
      redactQuery(req);
    // Fastify's router and lifecycle answer into the bound response: hooks, schema, 404, error handler.
    fastify.routing(req, up.response);
  }
}

/** What find-my-way derives from a request for its built-in `host` and `version` constraints. */
function constraintsOf(req: IncomingMessage): Record<string, string | undefined> {
  const version = req.headers['accept-version'];
  return { host: req.headers.host, version: Array.isArray(version) ? version[0] : version };
}

/** An upgrade's target with its query values redacted, in place: for a 404 that echoes `req.url`. */
export function redactQuery(req: IncomingMessage): void {
  if (req.url?.includes('?')) req.url = redactUrl(req.url);
}
