import type { BrokerContext } from '@wsgate/core';
import { RedisBrokerError, type RedisBrokerErrorCode } from './errors.js';

/**
 * Repeated failures of one kind are reported at most this often (an outage can drop thousands of publishes);
 * the clock restarts whenever the broker is ready again, so every outage reports its first drop.
 */
const REPORT_INTERVAL = 10_000;

/** Where a broker's failures go: the gate's `onError` once the gate has started it, else the console. */
export class Reporter {
  readonly #context: () => BrokerContext | undefined;
  readonly #lastReport = new Map<RedisBrokerErrorCode, number>();

  /** `context`: the gate's context, once `init` was called. */
  constructor(context: () => BrokerContext | undefined) {
    this.#context = context;
  }

  report(err: unknown): void {
    try {
      const ctx = this.#context();
      if (ctx) ctx.onError(err);
      else console.error('[wsgate/redis]', err);
    } catch {
      // An onError that throws must not break the broker.
    }
  }

  /** Reports a {@link RedisBrokerError}, unless one with this code was reported less than 10 s ago. */
  throttled(code: RedisBrokerErrorCode, message: string, cause?: unknown): void {
    const now = Date.now();
    const last = this.#lastReport.get(code);
    if (last !== undefined && now - last < REPORT_INTERVAL) return;
    this.#lastReport.set(code, now);
    this.report(new RedisBrokerError(code, message, { cause }));
  }

  /** The broker is ready again: the next failure of each kind is reported at once. */
  restart(): void {
    this.#lastReport.clear();
  }
}
