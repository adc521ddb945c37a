import { Session } from '../session/session.js';
import {
  type AcceptOptions,
  type Handler,
  type PreparedUpgrade,
  UpgradeAbortedError,
} from '../upgrade/prepared-upgrade.js';

/** What {@link acceptOnce} accepts with: the handler, and what the framework's route tells `accept`. */
export interface RouteAccept<TUser, TContext> extends AcceptOptions<TUser, TContext> {
  /** Called once per session, after the 101, with `context`. */
  handler: Handler<TUser, TContext>;
}

/**
 * Completes an upgrade from a framework route's handler, at most once: an upgrade already answered (a
 * handshake timeout, a client that left) or accepted by an earlier handler is left alone. A rejection
 * with {@link UpgradeAbortedError} needs nothing more (the client has its answer; the gate counted and
 * logged it). Any other error happened before the 101 and goes to `failed` (Express's `next`, so the
 * app's error handler answers it). Returns nothing: a framework must not see a late rejection.
 */
export function acceptOnce<TUser, TContext>(
  upgrade: PreparedUpgrade<TUser>,
  route: RouteAccept<TUser, TContext>,
  failed: (err: unknown) => void,
): void {
  if (!upgrade.pending) return;
  // `route` is the accept options too: one object per upgrade, not two. A handshake that completes
  // synchronously (most do) makes no promise.
  let result: Session<TUser> | Promise<Session<TUser>>;
  try {
    result = upgrade._accept(route.handler, route);
  } catch (err) {
    // As from a rejected promise: after the framework's handler has returned.
    if (!(err instanceof UpgradeAbortedError)) queueMicrotask(() => failed(err));
    return;
  }
  if (!(result instanceof Session)) {
    result.then(undefined, (err: unknown) => {
      if (!(err instanceof UpgradeAbortedError)) failed(err);
    });
  }
}
