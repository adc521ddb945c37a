/**
 * Positions and history: the names of DESIGN.md's "Continuity" section. A topic with history numbers its
 * messages: `offset` grows by one per message, `epoch` names one unbroken run of offsets and changes when
 * the topic's history was lost (a Redis that restarted empty), so an old position is never mistaken for a
 * new one.
 */

/** Where a message sits in its topic's history. */
export interface Position {
  /** Names the topic's history; a new epoch means the history before it is gone. */
  readonly epoch: string;
  /** One more than the previous message's offset in the same epoch; the first message has offset 1. */
  readonly offset: number;
}

/** How much of a topic's history is kept. A message leaves it when either bound is passed. */
export interface HistoryOptions {
  /** Messages kept per topic. @default 100 */
  size?: number;
  /** Milliseconds a message is kept. @default 900000 (15 minutes) */
  maxAge?: number;
}

/** History for every topic, or per topic (`false`: none for that topic). */
export type HistoryPolicy = HistoryOptions | ((topic: string) => HistoryOptions | false);

/** Retention with every default filled in. */
export interface Retention {
  readonly size: number;
  readonly maxAge: number;
}

/** One stored message. */
export interface HistoryMessage {
  readonly offset: number;
  /** A Buffer for binary messages, a string for text. */
  readonly data: Buffer | string;
  readonly binary: boolean;
}

/** What {@link Gate.history} answers. */
export interface HistoryPage {
  /** The topic's current epoch. */
  readonly epoch: string;
  /** The topic's latest offset (0 when nothing was published in this epoch). */
  readonly offset: number;
  /** Messages after `after` (or the oldest kept), in offset order, at most `limit`. */
  readonly messages: readonly HistoryMessage[];
  /**
   * True when the messages do not continue from `after`: its epoch is gone, or messages after it have
   * left the history. The reader must start over (reload its state) instead of applying them as a sequel.
   */
  readonly reset: boolean;
}

/** Why a topic's sessions missed messages that cannot be replayed. */
export interface ResetInfo {
  /** The epoch delivery continues in. */
  readonly epoch: string;
  /** The offset delivery continues after. */
  readonly offset: number;
  /** `'epoch'`: the history was lost; `'retention'`: missed messages had already left it. */
  readonly reason: 'epoch' | 'retention';
}

export const DEFAULT_RETENTION: Retention = { size: 100, maxAge: 15 * 60_000 };

/** Fills defaults and validates one topic's retention (a TypeError naming the option). */
export function resolveRetention(options: HistoryOptions, where = 'history'): Retention {
  if (options === null || typeof options !== 'object')
    throw new TypeError(`wsgate: ${where} must be { size, maxAge }, a function of the topic, or undefined`);
  const size = options.size ?? DEFAULT_RETENTION.size;
  const maxAge = options.maxAge ?? DEFAULT_RETENTION.maxAge;
  if (!Number.isSafeInteger(size) || size < 1)
    throw new TypeError(`wsgate: ${where}.size must be a positive integer, got ${String(size)}`);
  if (typeof maxAge !== 'number' || !(maxAge > 0))
    throw new TypeError(`wsgate: ${where}.maxAge must be a positive number of ms, got ${String(maxAge)}`);
  return { size, maxAge };
}

/** Validates the gate's `history` option eagerly; returns the per-topic lookup (undefined: no history). */
export function compileHistory(
  policy: HistoryPolicy | undefined,
): ((topic: string) => Retention | undefined) | undefined {
  if (policy === undefined) return undefined;
  if (typeof policy === 'function') {
    return (topic) => {
      const r = policy(topic);
      return r === false || r === undefined ? undefined : resolveRetention(r, `history('${topic}')`);
    };
  }
  const fixed = resolveRetention(policy);
  return () => fixed;
}
