import type { IncomingMessage } from 'node:http';
import type { Session } from '../session/session.js';
import type { SessionHost } from '../session/session-host.js';
import { ExpiryClock } from './expiry-clock.js';

/**
 * Session expiry: a session whose credential expires is closed at that moment with 4401 `'credential
 * expired'` (as graphql-ws's 4401: the client authenticates again, then reconnects), unless `onExpire`
 * extends it. The expiring sessions of a gate share one timer (expiry-clock.ts); gates share none.
 */

/** Route and gate options for expiring credentials. */
export interface ExpiryOptions<TUser = unknown> {
  /**
   * Called when a session's credential expires (see {@link expiring} and {@link expireAt}). Return a new
   * expiry (a Date or epoch milliseconds, e.g. after refreshing a token) to keep the session open until
   * then; return `undefined` (or a time not in the future) to close it with 4401 `'credential expired'`.
   * A throw or rejection goes to `onError` and closes the session with 1011, as a throwing handler does.
   * @default undefined (the session closes when its credential expires)
   */
  onExpire?: (session: Session<TUser>) => Expiry | undefined | Promise<Expiry | undefined>;
}

/** When a credential expires: a Date or epoch milliseconds (`Date.now()` scale). */
export type Expiry = Date | number;

const kExpiring = Symbol('wsgate.expiring');

/** An authenticated user with the moment its credential expires (see {@link expiring}). */
export interface Expiring<TUser> {
  readonly [kExpiring]: true;
  readonly user: TUser;
  readonly expiresAt: Expiry;
}

/**
 * What `authenticate` returns to admit `user` until `expiresAt` (a JWT's `exp * 1000`, a session cookie's
 * expiry): `authenticate: (req) => expiring(user, token.exp * 1000)`. `session.user` is `user`.
 */
export function expiring<TUser>(user: TUser, expiresAt: Expiry): TUser {
  checkExpiry(expiresAt, 'expiring()');
  return { [kExpiring]: true, user, expiresAt } as Expiring<TUser> as unknown as TUser;
}

/** Expiries `authenticate` stated, by request, until the session opens. */
const stated = new WeakMap<IncomingMessage, Expiry>();
/**
 * Never fewer than the entries in `stated` (one whose upgrade never opened stays counted): zero, the usual
 * case, spares each opening session a WeakMap lookup (and its request an identity hash).
 */
let statedCount = 0;

/** @internal `authenticate`'s answer without an {@link expiring} wrapper; the expiry kept for the session. */
export function takeExpiry<T>(answer: T, req: IncomingMessage): T {
  if (typeof answer !== 'object' || answer === null || !(kExpiring in answer)) return answer;
  const e = answer as unknown as Expiring<T>;
  if (!stated.has(req)) statedCount++;
  stated.set(req, e.expiresAt);
  return e.user;
}

/** @internal The session of `req` opened: it expires when `authenticate` said. */
export function startExpiry(session: Session<unknown>, req: IncomingMessage): void {
  if (statedCount === 0) return;
  const at = stated.get(req);
  if (at === undefined) return;
  stated.delete(req);
  statedCount--;
  expireAt(session, at);
}

/**
 * Sets (or moves) when a session expires, from any handler: an Express, Fastify or Koa app whose
 * middleware authenticated the request calls `expireAt(session, req.auth.exp * 1000)`. `null` cancels it.
 */
export function expireAt(session: Session<unknown, object, unknown, never>, at: Expiry | null): void {
  if (at !== null) checkExpiry(at, 'expireAt()');
  clockOf(session as Session<unknown>).schedule(session as Session<unknown>, at === null ? undefined : +at);
}

function checkExpiry(at: unknown, where: string): void {
  const n = at instanceof Date ? at.getTime() : at;
  if (typeof n !== 'number' || Number.isNaN(n))
    throw new TypeError(`wsgate: ${where} needs a Date or epoch milliseconds, got ${String(at)}`);
}

/** Validates `onExpire`. */
export function checkExpiryOptions(options: ExpiryOptions<unknown>): void {
  if (options.onExpire !== undefined && typeof options.onExpire !== 'function')
    throw new TypeError('wsgate: onExpire must be a function');
}

/**
 * Each gate's clock, found through what every session of that gate shares: its host (one per gate). Keyed
 * by the gate, so no deadline, timer or heap is shared between gates.
 */
const clocks = new WeakMap<SessionHost, ExpiryClock>();

function clockOf(session: Session<unknown>): ExpiryClock {
  let clock = clocks.get(session._host);
  if (clock === undefined) {
    clock = new ExpiryClock();
    clocks.set(session._host, clock);
  }
  return clock;
}

/** @internal for tests: the pending deadlines of `session`'s gate and whether its timer is armed. */
export function _expiryState(session: Session<unknown, object, unknown, never>): {
  pending: number;
  armed: boolean;
} {
  return clockOf(session as Session<unknown>).state;
}
