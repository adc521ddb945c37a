import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { DescribedRoutes } from './contracts/described-routes.js';
import type { GateEvents } from './gate-events.js';
import { GateUpgradeHost } from './gate-hosts.js';
import type { Logger } from './logger.js';
import { DEFAULTS, defaultRefusalLogLevel, type GateOptions } from './options.js';
import { Reporter } from './report.js';
import { CoreRoutes } from './routes/core-routes.js';
import { RouteSettings } from './routes/route-settings.js';
import { Heartbeat } from './session/heartbeat.js';
import type { Session } from './session/session.js';
import type { SessionSet } from './session/sessions.js';
import { Shutdown } from './shutdown/shutdown.js';
import { StatsCounter } from './stats.js';
import { type Broker, memoryBroker } from './topics/broker.js';
import { Topics } from './topics/topics.js';
import { Admission } from './upgrade/admission.js';
import { Attachments } from './upgrade/attach.js';
import { Dispatch } from './upgrade/dispatch.js';
import { Entrance } from './upgrade/entrance.js';
import type { PreparedUpgrade } from './upgrade/prepared-upgrade.js';
import { compileTrust, type TrustFn } from './upgrade/proxy.js';
import { RefusalPath } from './upgrade/refusal.js';
import { WsServers } from './upgrade/ws-servers.js';

/** The gate as its parts see it: the emitter of its events, its options, logger and live sessions. */
export interface GateFace<TUser> extends EventEmitter<GateEvents<TUser>> {
  readonly options: Readonly<GateOptions<TUser>>;
  readonly logger: Logger;
  readonly sessions: SessionSet<TUser>;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

/** The gate's `runFramework` (a protected method, so the gate hands it over itself). */
export interface FrameworkHook<TUser> {
  /** Whether the gate has one (an adapter's gate): see `DispatchParts`. */
  usesFramework: () => boolean;
  runFramework: (upgrade: PreparedUpgrade<TUser>) => void;
}

/** Every part of one gate, built by {@link composeGate}; the gate's methods each call one of them. */
export interface GateParts<TUser> {
  options: Readonly<GateOptions<TUser>>;
  logger: Logger;
  sessions: SessionSet<TUser>;
  stats: StatsCounter;
  reporter: Reporter<TUser>;
  settings: RouteSettings<TUser>;
  trust: TrustFn;
  refusals: RefusalPath;
  admission: Admission<TUser>;
  broker: Broker;
  topics: Topics;
  heartbeat: Heartbeat | undefined;
  ws: WsServers;
  shutdown: Shutdown<TUser>;
  entrance: Entrance<TUser>;
  routes: CoreRoutes<TUser>;
  dispatch: Dispatch<TUser>;
  attachments: Attachments<TUser>;
  described: DescribedRoutes;
}

/**
 * Builds one gate's parts and wires them to each other, in the order they depend on each other. Each part
 * is created once per gate and holds its own state: nothing is shared between two gates of one process.
 */
export function composeGate<TUser>(gate: GateFace<TUser>, hook: FrameworkHook<TUser>): GateParts<TUser> {
  const { options, logger, sessions } = gate;
  const stats = new StatsCounter();
  const reporter = new Reporter<TUser>(gate, options, logger);
  const settings = new RouteSettings(options);
  const trust = compileTrust(options.trustProxy);
  const level = options.logRefusals ?? defaultRefusalLogLevel();
  const refusals = new RefusalPath({ stats, logger, level, emit: (info) => reporter.emit('reject', info) });
  const admission = new Admission<TUser>(options.limits);
  const broker = options.broker ?? memoryBroker();
  const topics = new Topics(broker, stats, (err) => reporter.report(err, 'broker'), {
    history: options.history,
    onReset: (topic, info) => reporter.emit('reset', topic, info),
  });
  broker.init?.({
    onError: (err) => reporter.report(err, 'broker'),
    resync: () => topics.history?.resync(),
    presence: (topic, change) => reporter.emit('presence', topic, change),
  });
  topics.onDelivered = (topic, count) => reporter.emit('publish', topic, count); // telemetry hook
  const hb = options.heartbeat;
  const live = sessions._set as Set<Session<unknown>>;
  const heartbeat =
    hb === false
      ? undefined
      : new Heartbeat(
          live,
          hb?.interval ?? DEFAULTS.heartbeatInterval,
          hb?.timeout ?? DEFAULTS.heartbeatTimeout,
        );
  const ws = new WsServers(() => options.closeTimeout ?? DEFAULTS.closeTimeout);
  const base = { options, logger, sessions, stats, reporter, settings, trust, refusals, admission };
  const withTopics = { ...base, broker, topics, heartbeat, ws };
  const shutdown = new Shutdown(withTopics);
  const upgradeHost = new GateUpgradeHost({ ...withTopics, shutdown });
  const entrance = new Entrance({ ...base, shutdown, upgradeHost });
  const routes = new CoreRoutes(entrance);
  const dispatch = new Dispatch({ ...base, entrance, routes, ...hook });
  const attachments = new Attachments({ ...base, gate, entrance });
  const described = new DescribedRoutes();
  return { ...withTopics, shutdown, entrance, routes, dispatch, attachments, described };
}
