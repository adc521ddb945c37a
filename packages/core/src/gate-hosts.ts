import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { closeFor } from './close-policy.js';
import type { Logger } from './logger.js';
import type { RouteOptions, Settings } from './options.js';
import type { Reporter } from './report.js';
import type { RouteSettings } from './routes/route-settings.js';
import type { Heartbeat } from './session/heartbeat.js';
import type { Session } from './session/session.js';
import type { SessionHost } from './session/session-host.js';
import type { SessionSet } from './session/sessions.js';
import type { Shutdown } from './shutdown/shutdown.js';
import type { StatsCounter } from './stats.js';
import type { Topics } from './topics/topics.js';
import type { Admission } from './upgrade/admission.js';
import type { PreparedUpgrade, UpgradeHost } from './upgrade/prepared-upgrade.js';
import type { Refusal, RefusalPath } from './upgrade/refusal.js';
import { HandlerQueue } from './upgrade/run-handler.js';
import type { WsServers } from './upgrade/ws-servers.js';

// The two seams that keep sessions and upgrades free of the gate: what a Session and a PreparedUpgrade
// may ask of the gate that owns them. One object of each per gate, with methods rather than closures.

/** The parts of a gate its sessions and upgrades reach, built once per gate (gate-parts.ts). */
export interface SessionHostParts<TUser> {
  sessions: SessionSet<TUser>;
  stats: StatsCounter;
  topics: Topics;
  admission: Admission<TUser>;
  heartbeat: Heartbeat | undefined;
  reporter: Reporter<TUser>;
  logger: Logger;
}

/** What a gate's upgrades reach besides {@link SessionHostParts}. */
export interface UpgradeHostParts<TUser> extends SessionHostParts<TUser> {
  settings: RouteSettings<TUser>;
  ws: WsServers;
  refusals: RefusalPath;
  shutdown: Shutdown<TUser>;
}

/** What a gate's sessions ask of it: topics, counters, and what happens as one closes or fails. */
export class GateSessionHost<TUser> implements SessionHost {
  readonly stats: StatsCounter;
  /** The gate's topics themselves: a session's joins, leaves, publishes and resumes go straight there. */
  readonly topics: Topics;
  readonly #parts: SessionHostParts<TUser>;

  constructor(parts: SessionHostParts<TUser>) {
    this.#parts = parts;
    this.stats = parts.stats;
    this.topics = parts.topics;
  }

  /** A session closed: it leaves the live set and gives back its address slot; `close` is emitted. */
  sessionClosed(session: Session<unknown>, code: number, reason: string): void {
    const { sessions, admission, heartbeat, reporter } = this.#parts;
    sessions._set.delete(session as Session<TUser>);
    admission.release(session._ipKey);
    heartbeat?.update();
    // Asked first: emit's rest parameters are an array per call, even with no listener.
    if (reporter.listening('close')) reporter.emit('close', session as Session<TUser>, code, reason);
  }

  /** A session event listener threw (a bug in the app): reported, and that session closed 1011. */
  listenerError(err: unknown, session: Session<unknown>): void {
    this.#parts.reporter.report(err, 'handler', session as Session<TUser>);
    if (session.readyState === 1) session.close(closeFor.handlerFailed.code, closeFor.handlerFailed.reason);
  }

  /** A session's socket failed: logged, never reported as the app's error. */
  socketError(err: Error, session: Session<unknown>): void {
    const { logger } = this.#parts;
    const code = (err as { code?: string }).code;
    // Protocol errors are the client's fault: ws closes with the right code; a debug line is enough.
    if (typeof code === 'string' && code.startsWith('WS_ERR_'))
      logger.debug?.({ err, session: session.id }, 'wsgate: protocol error');
    else logger.warn({ err, session: session.id }, 'wsgate: socket error');
  }
}

/** What a gate's upgrades ask of it, from `prepare` to the 101 (or the refusal) and the session's start. */
export class GateUpgradeHost<TUser> implements UpgradeHost<TUser> {
  readonly sessionHost: GateSessionHost<TUser>;
  /** The gate's queue of handlers due to run (see `HandlerQueue`). */
  readonly handlers = new HandlerQueue();
  readonly #parts: UpgradeHostParts<TUser>;

  constructor(parts: UpgradeHostParts<TUser>) {
    this.#parts = parts;
    this.sessionHost = new GateSessionHost(parts);
  }

  /** The settings of the route the upgrade is accepted on. */
  settings(options: RouteOptions<TUser> | undefined): Settings<TUser> {
    return this.#parts.settings.get(options);
  }

  /** The `ws` server for those settings. */
  wss(settings: Settings<TUser>): ReturnType<WsServers['for']> {
    return this.#parts.ws.for(settings);
  }

  report(err: unknown, phase: string, session?: Session<TUser>, req?: IncomingMessage): void {
    this.#parts.reporter.report(err, phase, session, req);
  }

  refuse(req: IncomingMessage, refusal: Refusal, socket?: Duplex): null {
    return this.#parts.refusals.refuse(req, refusal, socket);
  }

  /**
   * The upgrade ended (a session, a refusal, or the client left): its pending slot is freed and the
   * `handshake` telemetry hook told. A session keeps the address slot until it closes.
   */
  released(
    upgrade: PreparedUpgrade<TUser>,
    session: Session<TUser> | null,
    status: number,
    reason: string,
  ): void {
    const { admission, reporter } = this.#parts;
    admission.settled(upgrade);
    if (reporter.listening('handshake')) {
      const route = session?.route ?? upgrade.route;
      reporter.emit('handshake', upgrade.req, { status, reason, route, session: session ?? undefined });
    }
    if (session) session._ipKey = upgrade.ipKey;
    else admission.release(upgrade.ipKey);
  }

  /** A session opened: counted, made live, and emitted as `open`. */
  opened(session: Session<TUser>): void {
    const { stats, sessions, heartbeat, shutdown, reporter } = this.#parts;
    stats.accepted++;
    sessions._set.add(session);
    heartbeat?.update();
    // A handshake that completed while close() runs missed its snapshot of the sessions: close it too.
    const closeWith = shutdown.closeWith;
    if (closeWith) session.close(closeWith.code, closeWith.reason);
    if (reporter.listening('open')) reporter.emit('open', session);
  }
}
