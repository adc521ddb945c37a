import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { GateOptions } from '../options.js';
import type { Reporter } from '../report.js';
import type { CoreMatch, CoreRoutes } from '../routes/core-routes.js';
import type { RouteSettings } from '../routes/route-settings.js';
import type { Entrance } from './entrance.js';
import { afterInFlight, busy } from './in-flight.js';
import type { PreparedUpgrade } from './prepared-upgrade.js';
import { guard, take, taken } from './socket-guard.js';

/** What one gate's dispatch reaches; built once per gate (gate-parts.ts). */
export interface DispatchParts<TUser> {
  /** Read at each upgrade (`unmatched`), as the gate's own options. */
  options: Readonly<GateOptions<TUser>>;
  settings: RouteSettings<TUser>;
  entrance: Entrance<TUser>;
  routes: CoreRoutes<TUser>;
  reporter: Reporter<TUser>;
  /**
   * Whether the gate has a `runFramework` (an adapter's gate), asked at each upgrade rather than once: a
   * subclass may define it as a field, which exists only after the gate's constructor returns.
   */
  usesFramework: () => boolean;
  /** The gate's `runFramework`, bound once rather than per upgrade. */
  runFramework: (upgrade: PreparedUpgrade<TUser>) => void;
}

/**
 * Which way one gate sends an upgrade: through its framework (an adapter's gate), or through its own
 * routes (core alone), in both cases only once no earlier response on the connection is in flight.
 */
export class Dispatch<TUser> {
  readonly #parts: DispatchParts<TUser>;

  constructor(parts: DispatchParts<TUser>) {
    this.#parts = parts;
  }

  /** `gate.handleUpgrade()`: false only when no core route matched and `unmatched` is `'ignore'`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (taken(socket)) return true;
    guard(socket);
    const { options, routes, settings, usesFramework } = this.#parts;
    let match: CoreMatch<TUser> = null;
    if (!usesFramework()) {
      match = routes.match(req);
      if ((match === null || match === 'malformed') && options.unmatched === 'ignore') return false;
    }
    take(socket);
    // The closure only for an upgrade pipelined behind a response still being written (rare).
    if (!busy(socket)) this.#handle(req, socket, head, match);
    else
      afterInFlight(socket, () => this.#handle(req, socket, head, match), settings.defaults.handshakeTimeout);
    return true;
  }

  /** `gate.handleWith()`: the entrance's checks, then `run(upgrade)`, once nothing is in flight. */
  handleWith(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    run: (upgrade: PreparedUpgrade<TUser>) => void,
  ): void {
    guard(socket);
    if (!busy(socket)) this.#handleWith(req, socket, head, run);
    else
      afterInFlight(
        socket,
        () => this.#handleWith(req, socket, head, run),
        this.#parts.settings.defaults.handshakeTimeout,
      );
  }

  /** `handleUpgrade` once no earlier response on the connection is in flight. */
  #handle(req: IncomingMessage, socket: Duplex, head: Buffer, match: CoreMatch<TUser>): void {
    const { usesFramework, runFramework, routes } = this.#parts;
    if (usesFramework()) this.handleWith(req, socket, head, runFramework);
    else routes.serve(req, socket, head, match);
  }

  #handleWith(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    run: (upgrade: PreparedUpgrade<TUser>) => void,
  ): void {
    const upgrade = this.#parts.entrance.prepare(req, socket, head);
    if (!upgrade) return;
    try {
      run(upgrade);
    } catch (err) {
      // Never let the framework's throw escape the server's 'upgrade' listener.
      this.#parts.reporter.report(err, 'upgrade', undefined, req);
      upgrade.reject(500, 'Internal Server Error');
    }
    // Still waiting (an async hook or authenticate): from now on its deadline runs.
    upgrade._watch();
  }
}
