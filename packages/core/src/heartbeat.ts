import type { Session } from './session.js';

/**
 * One ping timer for all of a gate's sessions, running only while sessions exist. Each round pings every
 * session; `timeout` ms later, those that have not answered (pong or any message) are terminated. A socket
 * that wsgate itself holds paused cannot read its pong, so it is never reaped for that; it is still pinged,
 * because a paused socket is not read and a peer that reset or closed shows only when something is written.
 */
export class Heartbeat {
  readonly #interval: number;
  readonly #timeout: number;
  readonly #sessions: ReadonlySet<Session<unknown>>;
  #ticker: NodeJS.Timeout | undefined;
  #reaper: NodeJS.Timeout | undefined;

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
    clearTimeout(this.#reaper);
    this.#ticker = undefined;
    this.#reaper = undefined;
  }

  #ping(): void {
    for (const session of this.#sessions) {
      if (session.raw.readyState !== 1) continue;
      // Paused by wsgate: its pong cannot be read, so it is not awaited, but the write surfaces a reset.
      if (!session._pausedByGate) session._awaitingPong = true;
      session.raw.ping();
    }
    clearTimeout(this.#reaper);
    this.#reaper = setTimeout(() => this.#reap(), Math.min(this.#timeout, this.#interval));
    this.#reaper.unref();
  }

  #reap(): void {
    for (const session of this.#sessions) {
      if (session._awaitingPong && !session._pausedByGate) session.raw.terminate();
    }
  }
}
