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
    const log = this.#log(topic);
    trim(log, retention);
    const from = after === undefined ? 0 : after;
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

function trim(log: Log, { size, maxAge }: Retention): void {
  const oldest = Date.now() - maxAge;
  let drop = Math.max(0, log.entries.length - size);
  while (drop < log.entries.length && log.entries[drop]!.at < oldest) drop++;
  if (drop > 0) log.entries = log.entries.slice(drop);
}
