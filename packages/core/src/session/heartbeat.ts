import type { Session } from './session.js';

/**
 * One ping timer for all of a gate's sessions, running only while sessions exist. Each round pings every
 * session; a session that has not answered (pong or any message) `timeout` ms after the first ping it left
 * unanswered is terminated. The timeout is honoured whatever the interval: with a timeout longer than the
 * interval, later rounds ping again but do not restart the wait, and one reap timer per round in flight
 * (at most `ceil(timeout / interval) + 1`, per gate, not per connection) checks each round's deadline.
 * A socket that wsgate itself holds paused cannot read its pong, so it is never reaped for that; it is
 * still pinged, because a paused socket is not read and a peer that reset or closed shows only when
 * something is written.
 */
export class Heartbeat {
  readonly #interval: number;
  readonly #timeout: number;
  readonly #sessions: ReadonlySet<Session<unknown>>;
  #ticker: NodeJS.Timeout | undefined;
  readonly #reapers = new Set<NodeJS.Timeout>();

  constructor(sessions: ReadonlySet<Session<unknown>>, interval: number, timeout: number) {
    this.#sessions = sessions;
    this.#interval = interval;
    this.#timeout = timeout;
  }

  /** Call after a session was added or removed. */
  update(): void {
    if (this.#sessions.size > 0 && !this.#ticker) {
      this.#ticker = setInterval(() => this.#ping(), this.#interval);
      this.#ticker.unref();
    } else if (this.#sessions.size === 0) {
      this.stop();
    }
  }

  stop(): void {
    clearInterval(this.#ticker);
    this.#ticker = undefined;
    for (const reaper of this.#reapers) clearTimeout(reaper);
    this.#reapers.clear();
  }

  #ping(): void {
    const round = performance.now();
    for (const session of this.#sessions) {
      if (session.raw.readyState !== 1) continue;
      // Paused by wsgate: its pong cannot be read, so it is not awaited, but the write surfaces a reset.
      // Already awaiting an earlier ping: the wait runs from that one, so a later round cannot extend it.
      if (!session._pausedByGate && session._awaitingPongSince === 0) session._awaitingPongSince = round;
      session.raw.ping();
    }
    const reaper = setTimeout(() => {
      this.#reapers.delete(reaper);
      this.#reap(round);
    }, this.#timeout);
    reaper.unref();
    this.#reapers.add(reaper);
  }

  /** Terminates the sessions still awaiting a pong sent in round `round` or earlier. */
  #reap(round: number): void {
    for (const session of this.#sessions) {
      const since = session._awaitingPongSince;
      if (since !== 0 && since <= round && !session._pausedByGate) session.raw.terminate();
    }
  }
}
