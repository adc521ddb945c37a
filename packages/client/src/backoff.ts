/** What to do after a connection ended: come back later, or stop for good. */
export type Decision = 'reconnect' | 'stop';

/** Reconnect timing (docs/protocol.md section 8). */
export interface BackoffOptions {
  /** The first retry's upper bound, in ms; each failed attempt doubles it. @default 500 */
  minDelay?: number;
  /** The largest delay, in ms. @default 30000 */
  maxDelay?: number;
}

/**
 * The delay before retry number `attempt` (0 for the first): `random(0.5, 1) * min(maxDelay, minDelay * 2^n)`,
 * so a crowd of clients that lost the same server does not come back in one burst.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random = Math.random): number {
  const min = options.minDelay ?? 500;
  const max = options.maxDelay ?? 30_000;
  return Math.round((0.5 + random() / 2) * Math.min(max, min * 2 ** Math.min(attempt, 30)));
}

/** What a close code tells the client (docs/protocol.md section 7). */
export function closeDecision(code: number): Decision {
  if (code === 1000 || code === 1002 || code === 1003 || code === 1007 || code === 1008) return 'stop';
  if (code === 3000 || code === 3003 || (code >= 4000 && code <= 4999)) return 'stop';
  return 'reconnect';
}

/** What an HTTP status before the 101 tells the client: 429 and 5xx come back, the rest stop. */
export function statusDecision(status: number): Decision {
  return status === 429 || status >= 500 ? 'reconnect' : 'stop';
}

/** `Retry-After` in ms (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
