import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { GateOptions, RouteOptions } from '../options.js';
import type { Reporter } from '../report.js';
import type { RouteSettings } from '../routes/route-settings.js';
import { canonicalTarget } from '../routes/router.js';
import type { SessionSet } from '../session/sessions.js';
import type { Shutdown } from '../shutdown/shutdown.js';
import type { Admission } from './admission.js';
import { checkUpgradeRequest } from './handshake.js';
import { checkHost, type HostMemo } from './hosts.js';
import { checkOrigin } from './origin.js';
import { PreparedUpgrade, type UpgradeHost } from './prepared-upgrade.js';
import { clientInfo, ipKey, type TrustFn } from './proxy.js';
import { peerAddress, type Refusal, type RefusalPath } from './refusal.js';
import { guard, loopbackBound, take } from './socket-guard.js';

/** What one gate's entrance checks against; built once per gate (gate-parts.ts). */
export interface EntranceParts<TUser> {
  /** Read at each upgrade (`allowedHosts`), as the gate's own options. */
  options: Readonly<GateOptions<TUser>>;
  sessions: SessionSet<TUser>;
  admission: Admission<TUser>;
  settings: RouteSettings<TUser>;
  shutdown: Shutdown<TUser>;
  reporter: Reporter<TUser>;
  refusals: RefusalPath;
  trust: TrustFn;
  upgradeHost: UpgradeHost<TUser>;
}

/**
 * A route as the entrance sees it, when it is known before the checks (core's own routes): its options,
 * and its pattern for the `handshake` event of a refusal. Adapters learn the route later, in `accept`.
 */
export interface KnownRoute<TUser> {
  readonly options: RouteOptions<TUser> | undefined;
  readonly path: string | undefined;
}

/**
 * Steps 1, 2 and the gate-wide parts of 4 and 5 of the pipeline, for one gate: guard the socket, answer
 * what is not a valid upgrade, then shutdown, limits, Host and Origin, and hand what passes to a
 * {@link PreparedUpgrade}. The same for core's routes and every adapter.
 */
export class Entrance<TUser> {
  readonly #parts: EntranceParts<TUser>;
  /** Whether each server listens on loopback (the `allowedHosts` default), while it listens. */
  readonly #loopback = new WeakMap<object, boolean>();
  readonly #hostMemo: HostMemo = {};

  constructor(parts: EntranceParts<TUser>) {
    this.#parts = parts;
  }

  /** Steps 1 and 2: guard the socket, then answer anything that is not a valid upgrade. */
  begin(req: IncomingMessage, socket: Duplex, route?: string): boolean {
    take(socket);
    guard(socket);
    const { reporter } = this.#parts;
    // The telemetry hook (a handshake span starts here); asked first, as emit's rest array is made per call.
    if (reporter.listening('upgrade')) reporter.emit('upgrade', req);
    try {
      const invalid = checkUpgradeRequest(req);
      if (invalid) return this.refuse(req, socket, invalid, route) ?? false;
      // One spelling of the path for the app's middleware and every router (see canonicalTarget): the
      // others are refused here, once, for every adapter, before any middleware runs.
      req.url = canonicalTarget(req.url ?? '/');
      return true;
    } catch (err) {
      const reason = err instanceof URIError && err.message ? err.message : 'Malformed URL';
      return this.refuse(req, socket, { status: 400, reason }, route) ?? false;
    }
  }

  /**
   * Refuses a handshake that has no {@link PreparedUpgrade} yet, through the gate's refusal path, and ends
   * its `handshake` telemetry span (`route`: the pattern, when a core route matched).
   */
  refuse(req: IncomingMessage, socket: Duplex, refusal: Refusal, route?: string): null {
    const refused = this.#parts.refusals.refuse(req, refusal, socket);
    const { reporter } = this.#parts;
    if (reporter.listening('handshake')) {
      const { status, reason } = refusal;
      reporter.emit('handshake', req, { status, reason, route, session: undefined });
    }
    return refused;
  }

  /**
   * `gate.prepare()`: the checks, then a pending {@link PreparedUpgrade}; null when the request was
   * answered. Answers at once, also for an upgrade pipelined behind a response still being written.
   */
  prepare(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    route?: KnownRoute<TUser>,
  ): PreparedUpgrade<TUser> | null {
    const path = route?.path;
    if (!this.begin(req, socket, path)) return null;
    const { options, sessions, admission, settings: routes, shutdown, reporter, trust } = this.#parts;
    try {
      if (shutdown.closing) {
        const refusal = { status: 503, reason: 'Server is shutting down', headers: { 'Retry-After': '5' } };
        return this.refuse(req, socket, refusal, path);
      }
      const full = admission.full(sessions.size);
      if (full) return this.refuse(req, socket, full, path);
      const client = clientInfo(req, trust);
      const key = ipKey(client.ip);
      const fullFor = admission.fullFor(key);
      if (fullFor) return this.refuse(req, socket, fullFor, path);
      const peerTrusted = trust(peerAddress(req), 0);
      const loopback = !peerTrusted && loopbackBound(req, this.#loopback);
      const hostRefusal = checkHost(options.allowedHosts, client.host, loopback, this.#hostMemo);
      if (hostRefusal)
        return this.refuse(req, socket, { status: client.host ? 403 : 400, reason: hostRefusal }, path);
      const routeOptions = route?.options;
      const settings = routeOptions ? routes.get(routeOptions) : routes.defaults;
      const originRefusal = checkOrigin(settings.origins, settings.requireOrigin, req, client);
      // A route with its own Origin policy may still admit it; adapters learn the route later, in accept.
      if (originRefusal && (routeOptions !== undefined || !routes.originOverrides))
        return this.refuse(req, socket, { status: 403, reason: originRefusal }, path);
      const { upgradeHost } = this.#parts;
      const upgrade = new PreparedUpgrade<TUser>(
        req,
        socket,
        head,
        client,
        key,
        upgradeHost,
        settings.handshakeTimeout,
      );
      upgrade.originRefusal = originRefusal;
      admission.admit(upgrade);
      return upgrade;
    } catch (err) {
      if (err instanceof URIError)
        return this.refuse(req, socket, { status: 400, reason: 'Malformed URL' }, path);
      reporter.report(err, 'upgrade', undefined, req);
      return this.refuse(req, socket, { status: 500, reason: 'Internal Server Error' }, path);
    }
  }
}
