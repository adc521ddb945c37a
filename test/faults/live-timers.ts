import { createHook } from 'node:async_hooks';

/**
 * Counts the timers (`setTimeout`/`setInterval`, ref'd or not) created after `start()` that are still
 * pending. wsgate unrefs its timers, so `process.getActiveResourcesInfo()` cannot see them; async_hooks
 * can: a Timeout's `destroy` fires when it ran (one-shot) or was cleared.
 */
export class LiveTimers {
  readonly #live = new Map<number, { repeat: boolean; ms: number }>();
  readonly #hook = createHook({
    init: (id, type, _trigger, resource) => {
      if (type !== 'Timeout') return;
      const t = resource as { _repeat?: number | null; _idleTimeout?: number };
      this.#live.set(id, { repeat: t._repeat != null, ms: t._idleTimeout ?? -1 });
    },
    destroy: (id) => {
      this.#live.delete(id);
    },
  });

  /** Starts counting (only timers created from now on). */
  start(): this {
    this.#hook.enable();
    return this;
  }

  /** Stops counting. */
  stop(): void {
    this.#hook.disable();
  }

  /** Pending timers created since `start()`, optionally only those with this delay/interval in ms. */
  pending(ms?: number): Array<{ repeat: boolean; ms: number }> {
    return [...this.#live.values()].filter((t) => ms === undefined || t.ms === ms);
  }
}
