import { takeExpiry } from '../contracts/expiry.js';
import type { Settings } from '../options.js';
import type { Session } from '../session/session.js';
import { open, UpgradeAbortedError } from './accept.js';
import { errorAnswer } from './http-error.js';
import type { PreparedUpgrade } from './prepared-upgrade.js';
import { isThenable, type Opening } from './run-handler.js';

/**
 * Step 6 of an upgrade: the route's `authenticate`. A synchronous answer (most checks are a header or a
 * cookie lookup) goes straight on to the hand-over, with no promise and no signal made. An asynchronous one
 * races the end of the upgrade: `handshakeTimeout` (answered 503 by the upgrade's deadline) and the client
 * leaving both abort the signal `authenticate` was given and end the wait ({@link authAbandoned}). No
 * answer (`undefined`, `null`, `false`) is a 401; a throw is answered as `errorAnswer` says (an `HttpError`
 * with its status, anything else 500 and reported).
 */

type Authenticate<TUser> = NonNullable<Settings<TUser>['authenticate']>;
type Answer<TUser> = Awaited<ReturnType<Authenticate<TUser>>>;

/** Runs `settings.authenticate`, then opens the session with the user it answered. */
export function authenticate<TUser>(
  upgrade: PreparedUpgrade<TUser>,
  opening: Opening<TUser, unknown>,
): Session<TUser> | Promise<Session<TUser>> {
  let answer: ReturnType<Authenticate<TUser>>;
  try {
    // The signal (an EventTarget, costly to make) exists only if authenticate reads it, and a
    // synchronous answer skips the race.
    answer = (opening.settings.authenticate as Authenticate<TUser>)(upgrade.req, authInfo(upgrade));
  } catch (err) {
    return authFailed(upgrade, err);
  }
  if (!isThenable(answer)) return authenticated(upgrade, answer as Answer<TUser>, opening);
  return Promise.race([answer, whenAbandoned(upgrade)]).then(
    (result) => authenticated(upgrade, result, opening),
    (err: unknown) => authFailed(upgrade, err),
  );
}

/**
 * The upgrade is ending before its 101 (its deadline passed, or the client left) while `authenticate` may
 * still be running: abort its signal, and end the wait with an {@link UpgradeAbortedError}.
 */
export function authAbandoned<TUser>(upgrade: PreparedUpgrade<TUser>, status: number, message: string): void {
  upgrade._abort?.abort();
  for (const fail of upgrade._authWaiters?.splice(0) ?? []) fail(new UpgradeAbortedError(status, message));
}

function authFailed<TUser>(upgrade: PreparedUpgrade<TUser>, err: unknown): never {
  if (err instanceof UpgradeAbortedError) throw err;
  if (!upgrade._accepting) throw new UpgradeAbortedError(0, 'upgrade ended during authenticate');
  const answer = errorAnswer(err);
  if (!answer.expected) upgrade._host.report(err, 'authenticate', undefined, upgrade.req);
  return upgrade._refuse(answer.status, answer.message, answer.headers);
}

function authenticated<TUser>(
  upgrade: PreparedUpgrade<TUser>,
  result: Answer<TUser>,
  opening: Opening<TUser, unknown>,
): Session<TUser> | Promise<Session<TUser>> {
  if (!upgrade._accepting) throw new UpgradeAbortedError(0, 'upgrade ended during authenticate');
  if (result === undefined || result === null || result === false) {
    return upgrade._refuse(401, 'Authentication required', {
      'WWW-Authenticate': 'Bearer realm="websocket"',
    });
  }
  // An `expiring(user, at)` answer: the user, and when the session must close (contracts/expiry.ts).
  opening.user = takeExpiry(result, upgrade.req);
  return open(upgrade, opening);
}

/** What `authenticate` gets besides the request: a signal, made only when read. */
function authInfo<TUser>(upgrade: PreparedUpgrade<TUser>): { readonly signal: AbortSignal } {
  return {
    get signal() {
      upgrade._abort ??= new AbortController();
      return upgrade._abort.signal;
    },
  };
}

/** Rejects when the upgrade is abandoned (see {@link authAbandoned}); never resolves. */
function whenAbandoned<TUser>(upgrade: PreparedUpgrade<TUser>): Promise<never> {
  return new Promise((_, reject) => {
    upgrade._authWaiters ??= [];
    upgrade._authWaiters.push(reject);
  });
}
