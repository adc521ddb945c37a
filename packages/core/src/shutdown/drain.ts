/**
 * Calls `each` for every item, spread evenly over `window` milliseconds: item `i` of `n` at
 * `window * i / n` after the start (the first at once, the last before the window ends). A rolling
 * deploy closes its sessions this way so that clients do not all reconnect to the other nodes in the
 * same instant. One unref'd timer walks the schedule, whatever the number of items; items whose time
 * has passed when it fires (a busy event loop) are handled in that same turn, so the window is kept.
 *
 * @returns a function that cancels what has not run yet.
 */
export function spreadOver<T>(items: readonly T[], window: number, each: (item: T) => void): () => void {
  const n = items.length;
  const start = Date.now();
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  const step = (): void => {
    const elapsed = Date.now() - start;
    while (next < n && (window * next) / n <= elapsed) each(items[next++]!);
    if (next >= n) return;
    timer = setTimeout(step, Math.max(1, (window * next) / n - elapsed));
    timer.unref();
  };
  step();
  return () => {
    next = n;
    clearTimeout(timer);
  };
}
