import { randomBytes } from 'node:crypto';
import type { HistoryRead, HistoryReply } from '../broker.js';
import type { HistoryMessage, Position, Retention } from './positions.js';

interface Stored extends HistoryMessage {
  readonly at: number;
}

interface Log {
  readonly epoch: string;
  offset: number;
  /** Kept messages, oldest first, offsets consecutive. */
  entries: Stored[];
}

/** One process's topic histories (what a {@link memoryBus} shares between its gates). */
export class MemoryHistory {
  readonly #logs = new Map<string, Log>();

  append(topic: string, payload: Buffer | string, binary: boolean, retention: Retention): Position {
    const log = this.#log(topic);
    const offset = ++log.offset;
    log.entries.push({ offset, data: payload, binary, at: Date.now() });
    trim(log, retention);
    return { epoch: log.epoch, offset };
  }

  read(topic: string, { after, limit, retention }: HistoryRead): HistoryReply {
    const { size } = retention;
    const log = this.#log(topic);
    trim(log, retention);
    // Entries beyond `size` may linger until the next batch trim: never returned.
    const from = Math.max(after ?? 0, log.offset - size);
    const messages: HistoryMessage[] = [];
    for (const e of log.entries) {
      if (messages.length >= limit) break;
      if (e.offset > from) messages.push({ offset: e.offset, data: e.data, binary: e.binary });
    }
    return { epoch: log.epoch, offset: log.offset, messages };
  }

  /** Forgets every history (what a Redis restarted empty does); tests use it. */
  clear(): void {
    this.#logs.clear();
  }

  #log(topic: string): Log {
    let log = this.#logs.get(topic);
    if (!log) {
      log = { epoch: randomBytes(6).toString('hex'), offset: 0, entries: [] };
      this.#logs.set(topic, log);
    }
    return log;
  }
}

/**
 * Drops entries past `size` or `maxAge`, in batches (a copy of the array per append would cost O(size)):
 * up to a quarter of `size` extra entries may wait for the next batch; reads skip them.
 */
function trim(log: Log, { size, maxAge }: Retention): void {
  const { entries } = log;
  const oldest = Date.now() - maxAge;
  const slack = Math.max(16, size >> 2);
  if (entries.length <= size + slack && (entries[0] === undefined || entries[0].at >= oldest)) return;
  let drop = Math.max(0, entries.length - size);
  while (drop < entries.length && entries[drop]!.at < oldest) drop++;
  if (drop > 0) log.entries = entries.slice(drop);
}
