import type { Session } from '../session/session.js';
import { spreadOver } from './drain.js';

const noop = (): void => {};

/** How {@link closeSessions} closes: the code and reason, the grace, and the rolling-deploy window. */
export interface CloseAll {
  code: number;
  reason: string;
  timeout: number;
  drain: number;
}

/**
 * Sends every session the close code (all at once, or spread over `drain` ms), waits for each closing
 * handshake, and terminates whatever is still open of `live` after `drain + timeout`. Resolves once every
 * session of the snapshot has closed.
 */
export function closeSessions<TUser>(
  all: readonly Session<TUser>[],
  live: Iterable<Session<TUser>>,
  { code, reason, timeout, drain }: CloseAll,
): Promise<void> {
  return new Promise<void>((resolve) => {
    if (all.length === 0) return resolve();
    let left = all.length;
    let cancel = noop;
    const done = () => {
      if (--left === 0) {
        clearTimeout(timer);
        cancel();
        resolve();
      }
    };
    const timer = setTimeout(() => {
      cancel();
      for (const s of live) s.terminate();
    }, drain + timeout);
    timer.unref();
    // Every session counts from now, also one that closes on its own before its turn in the window.
    for (const s of all) {
      if (s._closed) done();
      else s.raw.once('close', done);
    }
    const closeOne = (s: Session<TUser>) => s.close(code, reason);
    if (drain > 0) cancel = spreadOver(all, drain, closeOne);
    else for (const s of all) closeOne(s);
  });
}
