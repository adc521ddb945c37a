import type { IncomingMessage } from 'node:http';
import { CloseCode } from '../close-policy.js';
import type { Session } from '../session/session.js';

/**
 * Session expiry: a session whose credential expires is closed at that moment with 4401 `'credential
 * expired'` (as graphql-ws's 4401: the client authenticates again, then reconnects), unless `onExpire`
 * extends it. Every expiring session of the process shares one timer, armed for the earliest deadline and
 * unref'd: nothing here keeps the process alive, and a million sessions cost a heap entry each, not a timer.
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

/** @internal `authenticate`'s answer without an {@link expiring} wrapper; the expiry kept for the session. */
export function takeExpiry<T>(answer: T, req: IncomingMessage): T {
  if (typeof answer !== 'object' || answer === null || !(kExpiring in answer)) return answer;
  const e = answer as unknown as Expiring<T>;
  stated.set(req, e.expiresAt);
  return e.user;
}

/** @internal The session of `req` opened: it expires when `authenticate` said. */
export function startExpiry(session: Session<unknown>, req: IncomingMessage): void {
  const at = stated.get(req);
  if (at === undefined) return;
  stated.delete(req);
  expireAt(session, at);
}

/**
 * Sets (or moves) when a session expires, from any handler: an Express, Fastify or Koa app whose
 * middleware authenticated the request calls `expireAt(session, req.auth.exp * 1000)`. `null` cancels it.
 */
export function expireAt(session: Session<unknown, object, unknown, never>, at: Expiry | null): void {
  if (at !== null) checkExpiry(at, 'expireAt()');
  schedule(session as Session<unknown>, at === null ? undefined : +at);
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

// ---- one timer, a binary min-heap of deadlines ----

interface Entry {
  at: number;
  session: Session<unknown>;
  index: number;
}

const heap: Entry[] = [];
const entries = new WeakMap<Session<unknown>, Entry>();
let timer: NodeJS.Timeout | undefined;
let armedFor = Number.POSITIVE_INFINITY;
/** Node runs a timer longer than 2^31-1 ms after 1 ms: far deadlines are approached in steps. */
const MAX_TIMER_MS = 2_147_483_647;

function schedule(session: Session<unknown>, at: number | undefined): void {
  let e = entries.get(session);
  if (at === undefined) {
    if (e) remove(e);
    return;
  }
  if (session._closed) return;
  if (e) {
    e.at = at;
    up(e.index);
    down(e.index);
  } else {
    e = { at, session, index: heap.length };
    entries.set(session, e);
    heap.push(e);
    up(e.index);
    // Forgotten when the session closes, not at its deadline: a closed session is not kept alive by us.
    session.once('close', () => {
      const current = entries.get(session);
      if (current) remove(current);
    });
  }
  arm();
}

function remove(e: Entry): void {
  entries.delete(e.session);
  const last = heap.pop()!;
  if (last !== e) {
    heap[e.index] = last;
    last.index = e.index;
    up(last.index);
    down(last.index);
  }
  arm();
}

function arm(): void {
  const next = heap[0]?.at ?? Number.POSITIVE_INFINITY;
  if (next === armedFor && timer !== undefined) return;
  clearTimeout(timer);
  timer = undefined;
  armedFor = next;
  if (next === Number.POSITIVE_INFINITY) return;
  timer = setTimeout(fire, Math.min(MAX_TIMER_MS, Math.max(0, next - Date.now())));
  timer.unref();
}

function fire(): void {
  timer = undefined;
  armedFor = Number.POSITIVE_INFINITY;
  const now = Date.now();
  while (heap.length > 0 && heap[0]!.at <= now) {
    const e = heap[0]!;
    remove(e);
    expired(e.session);
  }
  arm();
}

/** A deadline passed: ask `onExpire`, then extend or close. */
function expired(session: Session<unknown>): void {
  if (session.readyState !== 1) return;
  const hook = session._settings.onExpire;
  if (!hook) {
    close(session);
    return;
  }
  let answer: ReturnType<typeof hook>;
  try {
    answer = hook(session);
  } catch (err) {
    hookFailed(session, err);
    return;
  }
  if (
    answer !== null &&
    typeof answer === 'object' &&
    typeof (answer as Promise<unknown>).then === 'function'
  ) {
    (answer as Promise<Expiry | undefined>).then(
      (next) => extendOrClose(session, next),
      (err: unknown) => hookFailed(session, err),
    );
  } else extendOrClose(session, answer as Expiry | undefined);
}

function extendOrClose(session: Session<unknown>, next: Expiry | undefined): void {
  if (session.readyState !== 1) return;
  const at = next === undefined || next === null ? Number.NaN : +next;
  if (at > Date.now()) schedule(session, at);
  else close(session);
}

function hookFailed(session: Session<unknown>, err: unknown): void {
  session._host.listenerError(err, session); // reported, closed with 1011
}

function close(session: Session<unknown>): void {
  if (session.readyState === 1) session.close(CloseCode.credentialExpired, 'credential expired');
}

function up(i: number): void {
  const e = heap[i]!;
  while (i > 0) {
    const p = (i - 1) >> 1;
    const parent = heap[p]!;
    if (parent.at <= e.at) break;
    heap[i] = parent;
    parent.index = i;
    i = p;
  }
  heap[i] = e;
  e.index = i;
}

function down(i: number): void {
  const e = heap[i]!;
  const n = heap.length;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && heap[r]!.at < heap[l]!.at ? r : l;
    const child = heap[c]!;
    if (child.at >= e.at) break;
    heap[i] = child;
    child.index = i;
    i = c;
  }
  heap[i] = e;
  e.index = i;
}

/** @internal for tests: the number of pending deadlines and whether a timer is armed. */
export function _expiryState(): { pending: number; armed: boolean } {
  return { pending: heap.length, armed: timer !== undefined };
}
