import type { WirePosition } from './envelope.js';

/**
 * The positions a client presented in its `hello`, per topic. `TopicStreams` (topic-streams.ts) reads
 * them when the handler subscribes the session to a topic: it waits for {@link ResumePositions.ready} (bounded
 * by the hello timeout), replays `gate.history(topic, { after: position })` behind a `sub` with
 * `resumed: true`, or says `resumed: false` when the epoch changed or the gap is beyond retention
 * (docs/protocol.md section 4, `sub`).
 */
export class ResumePositions {
  #positions: ReadonlyMap<string, WirePosition> | undefined;
  #waiters: Array<(positions: ReadonlyMap<string, WirePosition>) => void> | undefined;

  /** Whether the client's `hello` has been received. */
  get received(): boolean {
    return this.#positions !== undefined;
  }

  /** The position the client presented for a topic, if any (undefined also before `hello`). */
  positionFor(topic: string): WirePosition | undefined {
    return this.#positions?.get(topic);
  }

  /** Resolves with every presented position once `hello` has arrived. */
  ready(): Promise<ReadonlyMap<string, WirePosition>> {
    if (this.#positions) return Promise.resolve(this.#positions);
    return new Promise((resolve) => {
      this.#waiters ??= [];
      this.#waiters.push(resolve);
    });
  }

  /** @internal the protocol layer received `hello`. */
  _hello(positions: ReadonlyMap<string, WirePosition>): void {
    this.#positions = positions;
    for (const w of this.#waiters?.splice(0) ?? []) w(positions);
  }

  /** @internal the session closed before `hello`: nobody waits forever (an empty map: nothing to resume). */
  _closed(): void {
    if (!this.#positions) this._hello(new Map());
  }
}
