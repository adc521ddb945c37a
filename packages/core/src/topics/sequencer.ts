import type { HistoryReply } from '../broker.js';
import type { Position, ResetInfo } from './positions.js';

/** A message waiting for its turn. */
export interface Entry {
  readonly offset: number;
  readonly payload: Buffer | string;
  readonly binary: boolean;
  /** The local session that published it (it does not receive its own message). */
  readonly except?: unknown;
}

/** What a {@link Sequencer} needs from its topic. */
export interface SequencerHost {
  /** Reads the stored messages after `after` (undefined: only the epoch and latest offset are wanted). */
  read(after: number | undefined, limit: number): Promise<HistoryReply>;
  deliver(entry: Entry, position: Position): void;
  reset(info: ResetInfo): void;
  onError(err: unknown): void;
  /** Messages per read while filling a gap. @default FILL_PAGE */
  readonly page?: number;
}

/** Messages read from history per round while filling a gap. */
export const FILL_PAGE = 500;

/**
 * Delivers one topic's messages to this node's sessions in offset order with no gap and no duplicate. A
 * message arrives from a publish on this node (with the offset its append returned) or from another node;
 * anything ahead of the next expected offset waits while the gap is read back from the history, and an
 * offset already delivered is dropped. When the history no longer has what was missed (retention passed,
 * or a new epoch) the host is told to reset, and delivery continues from what exists.
 *
 * Before its starting point is known (the topic's latest offset when this node subscribed) everything
 * waits; {@link Sequencer.start} reads it.
 */
export class Sequencer {
  #epoch: string | undefined;
  /** Last offset delivered (or the starting point); undefined until known. */
  #last: number | undefined;
  readonly #waiting = new Map<number, Entry>();
  /** Waiting messages of an epoch this node has not reached yet (a newer history). */
  #ahead: { epoch: string; entries: Entry[] } | undefined;
  #reading = false;
  #again = false;
  #stopped = false;
  readonly #host: SequencerHost;

  constructor(host: SequencerHost) {
    this.#host = host;
  }

  /** The position of the last message delivered (undefined before the starting point is known). */
  get position(): Position | undefined {
    return this.#epoch === undefined || this.#last === undefined
      ? undefined
      : { epoch: this.#epoch, offset: this.#last };
  }

  /** Reads the starting point; resolves once delivery can begin. */
  start(): Promise<void> {
    return this.#fill();
  }

  /** Stops: nothing more is delivered (the last local member left). */
  stop(): void {
    this.#stopped = true;
    this.#waiting.clear();
    this.#ahead = undefined;
  }

  /** A message with its position, from any path. */
  receive(position: Position, entry: Entry): void {
    if (this.#stopped) return;
    if (this.#epoch !== undefined && position.epoch !== this.#epoch) {
      // Another epoch: the history this node follows is gone (or this message is a late one of the old
      // epoch, which a read settles). Read the current state; keep the message for the new epoch.
      if (!this.#ahead || this.#ahead.epoch !== position.epoch)
        this.#ahead = { epoch: position.epoch, entries: [] };
      this.#ahead.entries.push(entry);
      this.#fillSoon();
      return;
    }
    const last = this.#last;
    if (last === undefined || this.#epoch === undefined) {
      this.#waiting.set(entry.offset, entry);
      if (this.#epoch === undefined) this.#epoch = position.epoch;
      return;
    }
    if (entry.offset <= last) return;
    if (entry.offset === last + 1) {
      // Next in line: deliver now, even while a read is under way (it skips what was delivered).
      this.#deliver(entry);
      this.#drain();
      return;
    }
    if (!this.#waiting.has(entry.offset)) this.#waiting.set(entry.offset, entry);
    if (!this.#reading) this.#fillSoon();
  }

  /** Messages may have been lost on the way: read back whatever followed the last delivered one. */
  resync(): void {
    if (!this.#stopped) this.#fillSoon();
  }

  #fillSoon(): void {
    if (this.#reading) this.#again = true;
    else this.#fill().then(undefined, this.#host.onError);
  }

  async #fill(): Promise<void> {
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = true;
    try {
      do {
        this.#again = false;
        await this.#readOnce();
      } while ((this.#again || this.#gapAhead()) && !this.#stopped);
    } catch (err) {
      // Not reachable now (an outage): the next resync (the broker reconnected) or message tries again.
      this.#host.onError(err);
    } finally {
      this.#reading = false;
    }
  }

  /** Whether waiting messages still sit beyond a gap (so another read is due). */
  #gapAhead(): boolean {
    return this.#waiting.size > 0 || this.#ahead !== undefined;
  }

  async #readOnce(): Promise<void> {
    if (this.#last === undefined) {
      const reply = await this.#host.read(undefined, 0);
      if (!this.#stopped) this.#startAt(reply);
      return;
    }
    const before = this.#last;
    let reply = await this.#host.read(before, this.#host.page ?? FILL_PAGE);
    if (this.#stopped) return;
    if (reply.epoch !== this.#epoch) {
      // The history was lost: whatever this node still waits for of the old epoch is gone. Say so before
      // anything of the new epoch is delivered, then read the new epoch from its start.
      const ahead = this.#ahead?.epoch === reply.epoch ? this.#ahead.entries : [];
      this.#ahead = undefined;
      this.#waiting.clear();
      this.#epoch = reply.epoch;
      this.#last = 0;
      this.#host.reset({ epoch: reply.epoch, offset: 0, reason: 'epoch' });
      for (const e of ahead) this.#waiting.set(e.offset, e);
      this.#drain();
      reply = await this.#host.read(this.#last, this.#host.page ?? FILL_PAGE);
      if (this.#stopped) return;
      if (reply.epoch !== this.#epoch) {
        this.#again = true; // lost again meanwhile: start over
        return;
      }
    } else {
      this.#ahead = undefined; // a late message of an epoch this node has left behind
    }
    const progressed = this.#last;
    this.#continueFrom(reply);
    // A page that stopped short of the latest offset: read the next one.
    if (reply.offset > this.#last! && reply.messages.length > 0) this.#again = true;
    if (this.#last === progressed && this.#last === before && this.#waiting.size > 0) {
      // No progress although messages wait (the history cannot have them): skip to them, said aloud.
      this.#last = this.#lowestWaiting()! - 1;
      this.#host.reset({ epoch: this.#epoch!, offset: this.#last, reason: 'retention' });
      this.#drain();
    }
  }

  #startAt(reply: HistoryReply): void {
    const { epoch, offset } = reply;
    if (this.#epoch !== epoch) this.#waiting.clear();
    for (const e of this.#ahead?.epoch === epoch ? this.#ahead.entries : []) this.#waiting.set(e.offset, e);
    this.#ahead = undefined;
    this.#epoch = epoch;
    this.#last = offset;
    for (const o of [...this.#waiting.keys()]) if (o <= offset) this.#waiting.delete(o);
    this.#drain();
  }

  /** Delivers a read's messages after the last one, signalling a reset where they do not follow on. */
  #continueFrom(reply: HistoryReply): void {
    const last = this.#last!;
    if (reply.offset > last) {
      const first = reply.messages[0]?.offset ?? this.#lowestWaiting() ?? reply.offset + 1;
      if (first > last + 1) {
        // Missed messages left the history: say so, then go on from what it has.
        this.#last = Math.min(first, reply.offset + 1) - 1;
        this.#host.reset({ epoch: this.#epoch!, offset: this.#last, reason: 'retention' });
      }
    }
    for (const m of reply.messages) {
      if (m.offset !== this.#last! + 1) continue;
      this.#deliver(this.#waiting.get(m.offset) ?? { offset: m.offset, payload: m.data, binary: m.binary });
      this.#waiting.delete(m.offset);
    }
    for (const o of [...this.#waiting.keys()]) if (o <= this.#last!) this.#waiting.delete(o);
    this.#drain();
  }

  #lowestWaiting(): number | undefined {
    let low: number | undefined;
    for (const o of this.#waiting.keys()) if (low === undefined || o < low) low = o;
    return low;
  }

  /** Delivers waiting messages that are next in line. */
  #drain(): void {
    for (;;) {
      const next = this.#waiting.get(this.#last! + 1);
      if (!next) return;
      this.#waiting.delete(next.offset);
      this.#deliver(next);
    }
  }

  #deliver(entry: Entry): void {
    this.#last = entry.offset;
    this.#host.deliver(entry, { epoch: this.#epoch!, offset: entry.offset });
  }
}
