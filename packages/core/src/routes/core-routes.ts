import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { acceptOnce } from '../kit/accept-once.js';
import type { RouteOptions } from '../options.js';
import type { Entrance, KnownRoute } from '../upgrade/entrance.js';
import type { Handler } from '../upgrade/prepared-upgrade.js';
import { type Params, RouteTable, splitUrl } from './router.js';

/** A route of `gate.route()`: what the entrance checks it with (options, pattern), and its handler. */
interface CoreRoute<TUser> extends KnownRoute<TUser> {
  readonly handler: Handler<TUser, IncomingMessage>;
}

/** What a request target matched: a route, none (`null`), or a target that cannot be matched at all. */
export type CoreMatch<TUser> = { value: CoreRoute<TUser>; params: Params; path: string } | null | 'malformed';

const noop = (): void => {};

/**
 * The gate's own routes, when core runs alone (`gate.route` with `gate.attach`); an adapter's gate routes
 * through its framework instead. Matching is split from serving so that an unmatched upgrade can be left
 * to another listener (`unmatched: 'ignore'`) before the gate takes the socket.
 */
export class CoreRoutes<TUser> {
  readonly #table = new RouteTable<CoreRoute<TUser>>();
  readonly #entrance: Entrance<TUser>;

  constructor(entrance: Entrance<TUser>) {
    this.#entrance = entrance;
  }

  /** Adds a route (a TypeError for a path already routed). */
  add(
    path: string,
    handler: Handler<TUser, IncomingMessage>,
    options: RouteOptions<TUser> | undefined,
  ): void {
    this.#table.add(path, { handler, options, path });
  }

  /** The route a request's path matches. */
  match(req: IncomingMessage): CoreMatch<TUser> {
    try {
      return this.#table.match(splitUrl(req.url ?? '/').pathname);
    } catch {
      return 'malformed';
    }
  }

  /** Answers 400 or 404 for no route; else the entrance's checks, then `accept` with the route's handler. */
  serve(req: IncomingMessage, socket: Duplex, head: Buffer, match: CoreMatch<TUser>): void {
    const entrance = this.#entrance;
    if (match === 'malformed') {
      if (entrance.begin(req, socket)) entrance.refuse(req, socket, { status: 400, reason: 'Malformed URL' });
      return;
    }
    if (!match) {
      if (entrance.begin(req, socket))
        entrance.refuse(req, socket, { status: 404, reason: 'No WebSocket route matches this path' });
      return;
    }
    const route = match.value;
    const upgrade = entrance.prepare(req, socket, head, route);
    if (!upgrade) return;
    // The kit's accept, as every adapter's: the client has been answered and real errors reported, so a
    // failure needs nothing more here.
    acceptOnce(
      upgrade,
      {
        handler: route.handler,
        context: req,
        params: match.params,
        route: match.path,
        options: route.options,
      },
      noop,
    );
    // Still waiting for an async authenticate: from now on its deadline runs.
    upgrade._watch();
  }
}
