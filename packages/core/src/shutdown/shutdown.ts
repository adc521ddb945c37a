import { checkClose, closeFor } from '../close-policy.js';
import type { CloseOptions } from '../gate-events.js';
import { DEFAULTS } from '../options.js';
import type { Reporter } from '../report.js';
import type { Heartbeat } from '../session/heartbeat.js';
import type { SessionSet } from '../session/sessions.js';
import type { Broker } from '../topics/broker.js';
import type { Admission } from '../upgrade/admission.js';
import type { WsServers } from '../upgrade/ws-servers.js';
import { closeSessions } from './close-sessions.js';

/** What a gate's shutdown stops, in order: pending handshakes, sessions, the heartbeat, the broker, ws. */
export interface ShutdownParts<TUser> {
  sessions: SessionSet<TUser>;
  admission: Admission<TUser>;
  heartbeat: Heartbeat | undefined;
  broker: Broker;
  ws: WsServers;
  reporter: Reporter<TUser>;
}

/**
 * One gate's graceful shutdown (`gate.close()`): runs once, whoever calls it and however often, and
 * leaves nothing of wsgate that keeps the process alive.
 */
export class Shutdown<TUser> {
  /**
   * The close code and reason, from the moment `close()` runs: a handshake that completes meanwhile missed
   * the snapshot of the sessions being closed, and is closed with these as it opens.
   */
  closeWith: { code: number; reason: string } | undefined;
  readonly #parts: ShutdownParts<TUser>;
  #done: Promise<void> | undefined;

  constructor(parts: ShutdownParts<TUser>) {
    this.#parts = parts;
  }

  /** Whether `close()` has been called (new upgrades then get 503). */
  get closing(): boolean {
    return this.#done !== undefined;
  }

  /** Starts the shutdown on the first call; every call returns the same promise. */
  close(options: CloseOptions): Promise<void> {
    if (!this.#done) {
      // Validated before anything is refused: a bad code would otherwise surface half-way through.
      checkClose(options.code, options.reason);
      const d = options.drain;
      if (d !== undefined && (typeof d !== 'number' || !Number.isFinite(d) || d < 0))
        throw new TypeError(`wsgate: close drain must be a non-negative number of ms, got ${String(d)}`);
    }
    this.#done ??= this.#run(options);
    return this.#done;
  }

  async #run(options: CloseOptions): Promise<void> {
    const { sessions, admission, heartbeat, broker, ws, reporter } = this.#parts;
    const { code, reason } = closeFor.shutdown(options.code, options.reason);
    const { timeout = DEFAULTS.shutdownTimeout, drain = DEFAULTS.drain } = options;
    this.closeWith = { code, reason };
    for (const upgrade of [...admission.pending])
      upgrade.reject(503, 'Server is shutting down', { 'Retry-After': '5' });
    await closeSessions([...sessions], sessions, { code, reason, timeout, drain });
    heartbeat?.stop();
    try {
      await broker.close();
    } catch (err) {
      reporter.report(err, 'broker');
    }
    ws.close();
  }
}
