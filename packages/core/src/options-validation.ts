import { type ContractOptions, checkContractOptions } from './contracts/contract.js';
import { checkExpiryOptions, type ExpiryOptions } from './contracts/expiry.js';
import type { BackpressureOptions, GateOptions, MessageRateOptions } from './options.js';
import { checkAllowedHosts } from './upgrade/hosts.js';
import { checkOriginPolicy } from './upgrade/origin.js';

// The eager checks of the gate's and routes' options: a TypeError naming the option at createGate or
// route time, not a surprise at the first upgrade. The options and their defaults live in options.ts.

/** The options a route may set: each is also a gate option, the default for every route. */
const SHARED = [
  'origins',
  'requireOrigin',
  'authenticate',
  'protocols',
  'maxPayload',
  'perMessageDeflate',
  'backpressure',
  'handshakeTimeout',
  'messages',
  'onExpire',
];
const KNOWN_GATE = new Set([
  ...SHARED,
  'allowedHosts',
  'trustProxy',
  'heartbeat',
  'limits',
  'closeTimeout',
  'broker',
  'history',
  'unmatched',
  'shouldHandle',
  'onError',
  'logger',
  'logRefusals',
]);
// Contracts are route-level only (a gate has no one message shape): contracts/contract.ts.
const KNOWN_ROUTE = new Set([...SHARED, 'message', 'send', 'onInvalid']);

function positive(value: unknown, name: string, allowZero = false): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < (allowZero ? 0 : 1)) {
    throw new TypeError(
      `wsgate: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${String(value)}`,
    );
  }
}

/** Node's timers take at most 2^31-1 ms and run anything longer after 1 ms (with only a warning). */
const MAX_TIMER_MS = 2_147_483_647;

/** A positive number of milliseconds that a timer can wait for: a longer one would fire at once. */
function duration(value: unknown, name: string): void {
  positive(value, name);
  if (typeof value === 'number' && value > MAX_TIMER_MS)
    throw new TypeError(`wsgate: ${name} must be at most ${MAX_TIMER_MS} ms (about 24.8 days), got ${value}`);
}

function fn(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function')
    throw new TypeError(`wsgate: ${name} must be a function`);
}

/** Validates route-level options eagerly, with a TypeError naming the option. */
export function validateRouteOptions(
  options: Record<string, unknown>,
  known: Set<string> = KNOWN_ROUTE,
): void {
  if (options === null || typeof options !== 'object')
    throw new TypeError('wsgate: options must be an object');
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new TypeError(`wsgate: unknown option '${key}'`);
  }
  if (options.origins !== undefined) checkOriginPolicy(options.origins);
  fn(options.authenticate, 'authenticate');
  const p = options.protocols;
  if (
    p !== undefined &&
    typeof p !== 'function' &&
    !(Array.isArray(p) && p.every((s) => typeof s === 'string' && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(s)))
  ) {
    throw new TypeError('wsgate: protocols must be a string[] of subprotocol tokens or a function');
  }
  positive(options.maxPayload, 'maxPayload');
  checkContractOptions(options as ContractOptions);
  checkExpiryOptions(options as ExpiryOptions<unknown>);
  duration(options.handshakeTimeout, 'handshakeTimeout');
  const bp = options.backpressure as BackpressureOptions | undefined;
  if (bp !== undefined) {
    positive(bp.highWaterMark, 'backpressure.highWaterMark', true);
    positive(bp.limit, 'backpressure.limit');
    if (bp.policy !== undefined && bp.policy !== 'close' && bp.policy !== 'drop') {
      throw new TypeError("wsgate: backpressure.policy must be 'close' or 'drop'");
    }
  }
  const m = options.messages as MessageRateOptions | false | undefined;
  if (m !== undefined && m !== false) {
    positive(m.rate, 'messages.rate');
    positive(m.burst, 'messages.burst');
  }
}

/** Validates the gate's options eagerly. */
export function validateGateOptions(options: GateOptions<unknown>): void {
  validateRouteOptions(options as Record<string, unknown>, KNOWN_GATE);
  checkAllowedHosts(options.allowedHosts);
  fn(options.onError, 'onError');
  fn(options.shouldHandle, 'shouldHandle');
  if (options.unmatched !== undefined && options.unmatched !== 'reject' && options.unmatched !== 'ignore') {
    throw new TypeError("wsgate: unmatched must be 'reject' or 'ignore'");
  }
  duration(options.closeTimeout, 'closeTimeout');
  const lr = options.logRefusals;
  if (lr !== undefined && lr !== false && lr !== 'debug' && lr !== 'info' && lr !== 'warn')
    throw new TypeError("wsgate: logRefusals must be 'debug', 'info', 'warn' or false");
  if (options.heartbeat !== undefined && options.heartbeat !== false) {
    duration(options.heartbeat.interval, 'heartbeat.interval');
    duration(options.heartbeat.timeout, 'heartbeat.timeout');
  }
  const l = options.limits;
  if (l !== undefined) {
    positive(l.connections, 'limits.connections');
    positive(l.connectionsPerIp, 'limits.connectionsPerIp');
    positive(l.pendingHandshakes, 'limits.pendingHandshakes');
    positive(l.inbound, 'limits.inbound');
    if (l.messages !== undefined && l.messages !== false) {
      positive(l.messages.rate, 'limits.messages.rate');
      positive(l.messages.burst, 'limits.messages.burst');
    }
  }
  const b = options.broker;
  if (
    b !== undefined &&
    (typeof b !== 'object' || typeof b.publish !== 'function' || typeof b.subscribe !== 'function')
  ) {
    throw new TypeError('wsgate: broker must implement subscribe, unsubscribe, publish and close');
  }
}
