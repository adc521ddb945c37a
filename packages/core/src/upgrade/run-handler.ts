import type { IncomingMessage } from 'node:http';
import { closeFor } from '../close-policy.js';
import type { Settings } from '../options.js';
import { markReady } from '../session/inbound.js';
import type { Session } from '../session/session.js';
import type { AcceptOptions, Handler, UpgradeHost } from './prepared-upgrade.js';

/** What the session is opened with once ws has called back. */
export interface Opening<TUser, TContext> {
  handler: Handler<TUser, TContext>;
  options: AcceptOptions<TUser, TContext>;
  settings: Settings<TUser>;
  user: TUser | undefined;
  protocol: string;
  /** Set once opened, for the handler's turn. */
  session: Session<TUser> | undefined;
  host: UpgradeHost<TUser>;
  req: IncomingMessage;
}

/**
 * The handlers of sessions that opened in this turn, run on the next microtask in the order they opened:
 * right after the code that called accept() (an adapter finishes its own bookkeeping first), while the
 * session already listens, so frames that arrive meanwhile are queued. One queue per gate: gates share
 * no state.
 */
export class HandlerQueue {
  readonly #due: Opening<unknown, unknown>[] = [];
  readonly #run = (): void => this.#runDue();

  add(o: Opening<unknown, unknown>): void {
    if (this.#due.push(o) === 1) queueMicrotask(this.#run);
  }

  #runDue(): void {
    const due = this.#due;
    // A handler may accept another upgrade synchronously: that one is appended and runs in this pass.
    for (let i = 0; i < due.length; i++) {
      const o = due[i]!;
      try {
        runHandler(o.handler, o.session!, o.options.context, o.host, o.req);
      } catch {
        // Only reporting a handler's failure can throw (a throwing logger); the other sessions still run.
      }
    }
    due.length = 0;
  }
}

function runHandler<TUser, TContext>(
  handler: Handler<TUser, TContext>,
  session: Session<TUser>,
  context: TContext,
  host: UpgradeHost<TUser>,
  req: IncomingMessage,
): void {
  let result: unknown;
  try {
    result = handler(session, context);
  } catch (err) {
    handlerFailed(err, session, host, req);
    return;
  }
  // Closures only for a handler that returned a promise: most handlers attach listeners and return.
  if (isThenable(result)) {
    result.then(
      () => markReady(session),
      (err: unknown) => handlerFailed(err, session, host, req),
    );
  } else {
    markReady(session);
  }
}

function handlerFailed<TUser>(
  err: unknown,
  session: Session<TUser>,
  host: UpgradeHost<TUser>,
  req: IncomingMessage,
): void {
  host.report(err, 'handler', session, req);
  if (session.readyState === 1) session.close(closeFor.handlerFailed.code, closeFor.handlerFailed.reason);
  markReady(session);
}

export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<T>).then === 'function';
}
