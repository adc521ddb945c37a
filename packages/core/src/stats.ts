/** A snapshot of a gate's counters, from {@link Gate.stats}. */
export interface GateStats {
  /** Sessions open now. */
  open: number;
  /** Handshakes in progress now. */
  pending: number;
  /** Sessions accepted since the gate was created. */
  accepted: number;
  /** Refused upgrades by HTTP status, e.g. `{ '401': 3, '404': 1 }`. */
  rejected: Record<string, number>;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Topics with at least one local member. */
  topics: number;
  /** Times a session hit the backpressure limit: closed (policy 'close') or a message dropped ('drop'). */
  slowConsumers: { closed: number; dropped: number };
}

/** The mutable counters behind {@link GateStats}. */
export class StatsCounter {
  accepted = 0;
  readonly rejected: Record<string, number> = {};
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  closedSlow = 0;
  droppedSlow = 0;

  received(bytes: number): void {
    this.messagesIn++;
    this.bytesIn += bytes;
  }

  sent(bytes: number, count = 1): void {
    this.messagesOut += count;
    this.bytesOut += bytes * count;
  }

  reject(status: number): void {
    const key = String(status);
    this.rejected[key] = (this.rejected[key] ?? 0) + 1;
  }

  slowConsumer(policy: 'close' | 'drop'): void {
    if (policy === 'close') this.closedSlow++;
    else this.droppedSlow++;
  }

  /** The snapshot `gate.stats()` returns, with what the counters do not hold: the gauges. */
  snapshot(open: number, pending: number, topics: number): GateStats {
    return {
      open,
      pending,
      accepted: this.accepted,
      rejected: { ...this.rejected },
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      topics,
      slowConsumers: { closed: this.closedSlow, dropped: this.droppedSlow },
    };
  }
}
