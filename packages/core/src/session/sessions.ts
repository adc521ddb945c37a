import type { Session } from './session.js';

/** The live sessions of a gate: iterable, counted, and closable by predicate. */
export class SessionSet<TUser = unknown> implements Iterable<Session<TUser>> {
  /** @internal */
  readonly _set = new Set<Session<TUser>>();

  /** How many sessions are open. */
  get size(): number {
    return this._set.size;
  }

  [Symbol.iterator](): Iterator<Session<TUser>> {
    return this._set.values();
  }

  /**
   * Closes every session the predicate picks, e.g. all of a user's sessions on logout or revocation.
   * @returns how many sessions were closed
   * @default code 1008, reason ''
   */
  closeWhere(predicate: (session: Session<TUser>) => boolean, code = 1008, reason = ''): number {
    let n = 0;
    for (const session of [...this._set]) {
      if (predicate(session)) {
        session.close(code, reason);
        n++;
      }
    }
    return n;
  }
}
