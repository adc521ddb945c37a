import type { WirePosition } from './envelope.js';

/**
 * The hook point where resume plugs into topic history (phase B of issue 18). The protocol layer records
 * here the positions a client presented in its `hello`; nothing reads them yet. Phase B wires
 * `session.subscribe(topic)` on a `wsgate.v1` session to:
 *   1. wait for {@link ResumePositions.ready} (the client sends `hello` right after the open, one round trip
 *      after the handler ran; bounded by the hello timeout);
 *   2. join live delivery and buffer it, read `gate.history(topic, { after: position })`;
 *   3. send `encodeSub(topic, position, resumed)` and the replay as `encodePub` frames, then the buffer,
 *      skipping offsets already sent; `resumed: false` when the epoch changed or the gap is beyond
 *      retention (docs/protocol.md section 4, `sub`).
 * Topic deliveries to a `wsgate.v1` session must go out as `encodePub(topic, data, position)` frames (not the
 * bare payload the broadcast fast path writes today), so every member of a topic on one node gets the same
 * bytes when they all speak the protocol: frame the envelope once per publish, as broadcast.ts frames once.
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
