import type { IncomingMessage } from 'node:http';
import { type Contract, type ContractOptions, compileContract } from './contracts/contract.js';
import type { ExpiryOptions } from './contracts/expiry.js';
import type { Logger } from './logger.js';
import type { Session } from './session/session.js';
import type { Broker } from './topics/broker.js';
import type { HistoryPolicy } from './topics/positions.js';
import type { AllowedHosts } from './upgrade/hosts.js';
import type { OriginPolicy } from './upgrade/origin.js';
import type { TrustProxy } from './upgrade/proxy.js';
import type { RefusalLogLevel } from './upgrade/refusal.js';

export { validateGateOptions, validateRouteOptions } from './options-validation.js';

/**
 * Decides who the client is before the handshake. Return the user to admit, `undefined` (or `null`/`false`)
 * to refuse with 401, or throw an error with a numeric `status`/`statusCode` to refuse with that status
 * (its `headers` are sent; its message only when `expose` is true or the status is 4xx). Bounded by
 * `handshakeTimeout`. The `signal` aborts when the client leaves or the timeout passes.
 */
export type Authenticate<TUser> = (
  req: IncomingMessage,
  info: { signal: AbortSignal },
) => TUser | undefined | null | false | Promise<TUser | undefined | null | false>;

/**
 * Subprotocols in server preference order, or a function choosing one of the offered ones (return
 * `false` to refuse the upgrade with 400).
 */
export type Protocols =
  | readonly string[]
  | ((offered: readonly string[], req: IncomingMessage) => string | false);

/** Send-side flow control for one session. */
export interface BackpressureOptions {
  /** `send()` returns false once this many bytes are buffered; `drain` follows. @default 65536 (64 KiB) */
  highWaterMark?: number;
  /**
   * When more than this many bytes are still buffered as a message is sent or published to the session,
   * the client has stopped reading and `policy` applies. Only what is queued ahead of the message counts,
   * not the message itself: one message larger than the limit is sent to a client that reads (so a large
   * publish never closes every subscriber), and a session buffers at most `limit` plus one message.
   * @default 4194304 (4 MiB)
   */
  limit?: number;
  /** `'close'` closes the session with 1013; `'drop'` drops the message (counted in stats). @default 'close' */
  policy?: 'close' | 'drop';
}

/** A token bucket per session; a session that exceeds it is closed with 1008. */
export interface MessageRateOptions {
  /** Messages per second refilled. @default 100 */
  rate?: number;
  /** Bucket size: how many messages may arrive at once. @default 200 */
  burst?: number;
}

/** Connection and message limits. */
export interface LimitOptions {
  /** Open sessions at most; beyond it upgrades get 503. @default 10000 */
  connections?: number;
  /** Open sessions plus pending handshakes per client IP (IPv6 counted per /64); beyond it 429. @default 100 */
  connectionsPerIp?: number;
  /** Handshakes in progress at most (authenticate, framework pipeline); beyond it 503. @default 1000 */
  pendingHandshakes?: number;
  /** Inbound message rate per session, or false for none. @default { rate: 100, burst: 200 } */
  messages?: MessageRateOptions | false;
  /**
   * Bytes of received messages one session may hold that no consumer has taken yet: the queue before the
   * handler listens, messages held after a `for await` loop broke, and every iterator's buffer, counted
   * together (as are messages, at most 256). At the bound wsgate stops reading the socket (TCP then pushes
   * back on the client); it reads again once consumers have taken half of it. A session thus holds at most
   * this plus one message and what one socket read (64 KiB) had already brought in.
   * @default 1048576 (1 MiB)
   */
  inbound?: number;
}

/** Ping/pong liveness checks. */
export interface HeartbeatOptions {
  /** Milliseconds between pings. @default 30000 */
  interval?: number;
  /**
   * Milliseconds to wait for the pong before the peer is terminated, counted from the first ping it left
   * unanswered; may be longer than `interval` (a peer that answers late but within it is kept).
   * @default 10000
   */
  timeout?: number;
}

/** What a route can set for itself; anything left out comes from the gate's options. */
export interface RouteOptions<TUser = unknown> extends ExpiryOptions<TUser>, ContractOptions {
  /** Which page origins may connect. @default 'same-origin' */
  origins?: OriginPolicy;
  /** Refuse upgrades that carry no Origin header (browser-only endpoints). @default false */
  requireOrigin?: boolean;
  /** Who the client is; see {@link Authenticate}. @default undefined (everyone is admitted, user undefined) */
  authenticate?: Authenticate<TUser>;
  /** Supported subprotocols. @default undefined (none is selected, whatever the client offers) */
  protocols?: Protocols;
  /** Largest message in bytes (after decompression); larger closes with 1009. @default 1048576 (1 MiB) */
  maxPayload?: number;
  /** permessage-deflate: false, true, or ws's options object. @default false */
  perMessageDeflate?: boolean | Record<string, unknown>;
  /** Send-side flow control. @default { highWaterMark: 65536, limit: 4194304, policy: 'close' } */
  backpressure?: BackpressureOptions;
  /** Milliseconds the whole handshake may take (auth and framework pipeline included); then 503. @default 10000 */
  handshakeTimeout?: number;
  /** Per-session message rate for this route, or false. @default the gate's `limits.messages` */
  messages?: MessageRateOptions | false;
}

/** Options of {@link createGate}. Every one is optional; the defaults are the secure choice. */
// Contracts are per route: a gate-wide `message` schema is an unknown option (contracts/contract.ts).
export interface GateOptions<TUser = unknown> extends Omit<RouteOptions<TUser>, keyof ContractOptions> {
  /** `Host` header allowlist against DNS rebinding. @default undefined (strict on a loopback bind, else any) */
  allowedHosts?: AllowedHosts;
  /** Which proxies' `X-Forwarded-*` headers to believe (Express/Fastify forms). @default false */
  trustProxy?: TrustProxy;
  /** Ping/pong liveness, or false to disable. @default { interval: 30000, timeout: 10000 } */
  heartbeat?: HeartbeatOptions | false;
  /** Connection and message limits. */
  limits?: LimitOptions;
  /** After our close frame, milliseconds before the TCP connection is destroyed. @default 5000 */
  closeTimeout?: number;
  /** Carries topics between processes. @default memoryBroker() (this process only) */
  broker?: Broker;
  /**
   * Topic history: every message published to a topic with history gets a position (`{ epoch, offset }`),
   * is kept within `size` and `maxAge`, and reaches each node's sessions in offset order with no gap
   * (`gate.history()` reads it back). A function of the topic decides per topic (`false`: none). Needs a
   * broker with history (memoryBroker, redisBroker). @default undefined (no topic has history)
   */
  history?: HistoryPolicy;
  /** An upgrade no route matches: `'reject'` answers 404, `'ignore'` leaves it to other listeners. @default 'reject' */
  unmatched?: 'reject' | 'ignore';
  /**
   * Which upgrades on an attached server are wsgate's, as `ws`'s `shouldHandle`. One it returns false for
   * is left untouched for another `'upgrade'` listener on the same server (socket.io, a Vite HMR socket,
   * another `ws` server); with no other listener it gets 404 after `handshakeTimeout`. This is how an
   * adapter, whose framework otherwise answers every upgrade, shares its server. A throw answers 500.
   * @default undefined (every upgrade on the server is wsgate's)
   */
  shouldHandle?: (req: IncomingMessage) => boolean;
  /** Called for errors that are not the client's fault (a throwing handler, a broker outage). */
  onError?: (err: unknown, ctx: ErrorContext<TUser>) => void;
  /**
   * Where warnings, errors and refused upgrades go (pino-compatible). Adapters pass the framework's own
   * logger where it has one (Fastify's `app.log`).
   * @default the console logger: warn and error, info, and debug only when `DEBUG` names `wsgate`
   */
  logger?: Logger;
  /**
   * The level each refused upgrade is logged at (once, with its status, the reason that names the option to
   * change, the redacted URL, the peer, Origin and Host), or false for none. Every refusal is also a
   * `reject` event and counted in `stats().rejected`.
   * @default 'info' (shown in development), 'debug' when NODE_ENV is 'production' or 'test'
   */
  logRefusals?: RefusalLogLevel;
}

/** What {@link GateOptions.onError} is told about an error. */
export interface ErrorContext<TUser = unknown> {
  session?: Session<TUser> | undefined;
  req?: IncomingMessage | undefined;
  /**
   * Where it happened: 'handler', 'authenticate', 'broker', 'session', 'upgrade', or 'framework' (an app's
   * middleware or hook threw during an upgrade and the framework's error handling answered it).
   */
  phase: string;
}

/** Route options merged over the gate's, validated and with every default filled in. */
export interface Settings<TUser> {
  origins: OriginPolicy;
  requireOrigin: boolean;
  authenticate: Authenticate<TUser> | undefined;
  protocols: Protocols | undefined;
  maxPayload: number;
  perMessageDeflate: boolean | Record<string, unknown>;
  backpressure: Required<BackpressureOptions>;
  handshakeTimeout: number;
  messages: Required<MessageRateOptions> | false;
  /** Bytes of unconsumed received messages at which the socket is paused (`limits.inbound`). */
  inbound: number;
  /** The route's message contract (contracts/), undefined when it declares none. */
  contract: Contract | undefined;
  /** Extends a session whose credential expires (contracts/expiry.ts). */
  onExpire: ExpiryOptions<TUser>['onExpire'];
}

/**
 * Every default of the gate's and routes' options, in one place: what a setting is when the app leaves it
 * out. The TSDoc `@default` of each option above names the same value.
 */
export const DEFAULTS = {
  origins: 'same-origin',
  requireOrigin: false,
  maxPayload: 1 << 20,
  perMessageDeflate: false,
  highWaterMark: 64 * 1024,
  backpressureLimit: 4 * 1024 * 1024,
  backpressurePolicy: 'close',
  handshakeTimeout: 10_000,
  messageRate: 100,
  messageBurst: 200,
  inbound: 1 << 20,
  connections: 10_000,
  connectionsPerIp: 100,
  pendingHandshakes: 1_000,
  heartbeatInterval: 30_000,
  heartbeatTimeout: 10_000,
  closeTimeout: 5_000,
  /** `gate.close({ timeout })`: how long clients get to finish the closing handshake. */
  shutdownTimeout: 5_000,
  /** `gate.close({ drain })`: closes all at once. */
  drain: 0,
} as const;

/** Merges route options over gate options into complete settings. */
export function resolveSettings<TUser>(
  gate: GateOptions<TUser>,
  route: RouteOptions<TUser> = {},
): Settings<TUser> {
  const pick = <K extends keyof GateOptions<TUser> & keyof RouteOptions<TUser>>(
    k: K,
  ): RouteOptions<TUser>[K] => (route[k] !== undefined ? route[k] : (gate[k] as RouteOptions<TUser>[K]));
  const bp = { ...gate.backpressure, ...route.backpressure };
  const messages =
    route.messages !== undefined
      ? route.messages
      : gate.messages !== undefined
        ? gate.messages
        : gate.limits?.messages;
  const highWaterMark = bp.highWaterMark ?? DEFAULTS.highWaterMark;
  const limit = bp.limit ?? DEFAULTS.backpressureLimit;
  // send() would keep returning true up to a limit that closes (or drops) first: 'drain' could never help.
  if (highWaterMark > limit) {
    throw new TypeError(
      `wsgate: backpressure.highWaterMark (${highWaterMark}) must not exceed backpressure.limit (${limit})`,
    );
  }
  return {
    origins: pick('origins') ?? DEFAULTS.origins,
    requireOrigin: pick('requireOrigin') ?? DEFAULTS.requireOrigin,
    authenticate: pick('authenticate'),
    protocols: pick('protocols'),
    maxPayload: pick('maxPayload') ?? DEFAULTS.maxPayload,
    perMessageDeflate: pick('perMessageDeflate') ?? DEFAULTS.perMessageDeflate,
    backpressure: { highWaterMark, limit, policy: bp.policy ?? DEFAULTS.backpressurePolicy },
    handshakeTimeout: pick('handshakeTimeout') ?? DEFAULTS.handshakeTimeout,
    messages:
      messages === false
        ? false
        : { rate: messages?.rate ?? DEFAULTS.messageRate, burst: messages?.burst ?? DEFAULTS.messageBurst },
    inbound: gate.limits?.inbound ?? DEFAULTS.inbound,
    contract: compileContract(route as ContractOptions),
    onExpire: pick('onExpire'),
  };
}

/**
 * The default of {@link GateOptions.logRefusals}: refusals show in development, where a 403 with no log
 * line is a riddle, and stay at debug in production (a scan would flood the log) and under test runners.
 */
export function defaultRefusalLogLevel(): RefusalLogLevel {
  const env = process.env.NODE_ENV;
  return env === 'production' || env === 'test' ? 'debug' : 'info';
}
