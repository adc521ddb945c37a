/**
 * The rolling restart every arm runs in the reconnect storm: each open connection is closed once, spread
 * evenly over `window` ms (item `i` of `n` at `window * i / n`), while the server keeps accepting. The same
 * schedule as wsgate's `gate.close({ drain })` (core's shutdown/drain.ts): one timer walks it, and items
 * whose time has passed when it fires are closed in that turn. wsgate's own close would also answer every
 * new upgrade 503 (the process is going away), so no arm could come back to it: every arm, wsgate's too,
 * closes its connections with this schedule and keeps serving, as the next process of a deploy would.
 */
export function closeSpread<T>(items: readonly T[], window: number, close: (item: T) => void): void {
  const n = items.length;
  const start = Date.now();
  let next = 0;
  const step = (): void => {
    const elapsed = Date.now() - start;
    while (next < n && (window * next) / n <= elapsed) close(items[next++]!);
    if (next < n) setTimeout(step, Math.max(1, (window * next) / n - elapsed));
  };
  step();
}

/** The close code and reason of a service restart (RFC 6455 registry, 1012). */
export const RESTART = { code: 1012, reason: 'server restarting' } as const;
