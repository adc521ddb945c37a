import type { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { GateEvents } from './gate-events.js';
import { type Logger, redactUrl } from './logger.js';
import type { GateOptions } from './options.js';
import type { Session } from './session/session.js';

/** The events {@link Reporter.emit} sends: every one but `error`, which only {@link Reporter.report} sends. */
type Emitted<TUser> = Exclude<keyof GateEvents<TUser>, 'error'>;

/** `emit` with the event name widened, so one call serves every event of {@link GateEvents}. */
type AnyEmit = { emit(event: string, ...args: unknown[]): boolean };

/**
 * One gate's voice: every error that was not the client's fault is reported here (`onError`, the `error`
 * event, else the logger), and every other gate event is emitted here. Both run inside ws's and Node's
 * socket handlers, where a throw would end the process, so a throwing `onError` or listener is logged or
 * reported instead of thrown.
 */
export class Reporter<TUser> {
  readonly #gate: EventEmitter<GateEvents<TUser>>;
  /** Read at each report, not copied: `onError` is looked up on the options the gate was created with. */
  readonly #options: Readonly<GateOptions<TUser>>;
  readonly #logger: Logger;

  constructor(gate: EventEmitter<GateEvents<TUser>>, options: Readonly<GateOptions<TUser>>, logger: Logger) {
    this.#gate = gate;
    this.#options = options;
    this.#logger = logger;
  }

  /** Whether anyone listens to `event` (telemetry hooks are built only then). */
  listening(event: keyof GateEvents<TUser>): boolean {
    return this.#gate.listenerCount(event) > 0;
  }

  /**
   * Reports an error that was not the client's fault, in `phase` (`'upgrade'`, `'handler'`, `'broker'`...):
   * to `onError` and the `error` event's listeners; to the logger when there is no `onError`.
   */
  report(err: unknown, phase: string, session?: Session<TUser>, req?: IncomingMessage): void {
    try {
      this.#options.onError?.(err, { session, req, phase });
    } catch (inner) {
      this.#logger.error({ err: inner }, 'wsgate: onError threw');
    }
    if (this.#gate.listenerCount('error') > 0) {
      try {
        this.#gate.emit('error', err, { phase, session });
      } catch (inner) {
        this.#logger.error({ err: inner }, 'wsgate: an error listener threw');
      }
    }
    if (!this.#options.onError) {
      this.#logger.error(
        { err, phase, url: redactUrl(req?.url ?? session?.url) },
        `wsgate: error in ${phase}`,
      );
    }
  }

  /**
   * Emits a gate event for metrics and tracing, if anyone listens. A throwing listener is reported (phase
   * `'<event> listener'`), never thrown into the socket handler that emitted.
   */
  emit<K extends Emitted<TUser>>(event: K, ...args: GateEvents<TUser>[K]): void {
    if (this.#gate.listenerCount(event) === 0) return;
    try {
      (this.#gate as unknown as AnyEmit).emit(event, ...args);
    } catch (err) {
      this.report(err, `${event} listener`);
    }
  }
}
