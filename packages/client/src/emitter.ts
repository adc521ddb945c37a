/** A minimal typed event emitter: no dependency, and a listener that throws never breaks the client. */
export class Emitter<TEvents extends Record<string, unknown[]>> {
  #listeners: { [K in keyof TEvents]?: Array<(...args: TEvents[K]) => void> } = {};

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof TEvents>(event: K, listener: (...args: TEvents[K]) => void): () => void {
    const list = this.#listeners[event] ?? [];
    this.#listeners[event] = list;
    list.push(listener);
    return () => this.off(event, listener);
  }

  /** Removes a listener. */
  off<K extends keyof TEvents>(event: K, listener: (...args: TEvents[K]) => void): void {
    const list = this.#listeners[event];
    const i = list ? list.indexOf(listener) : -1;
    if (i >= 0) list!.splice(i, 1);
  }

  /** @internal */
  protected emit<K extends keyof TEvents>(event: K, ...args: TEvents[K]): void {
    for (const listener of [...(this.#listeners[event] ?? [])]) {
      try {
        listener(...args);
      } catch (err) {
        // The application's bug: surfaced asynchronously (window.onerror, uncaughtException) like a
        // throwing DOM event listener, without stopping the other listeners or the client.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
