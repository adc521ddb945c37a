/**
 * Awaits `check` again and again until it returns true: each round waits for a real answer (a Redis reply,
 * an event-loop turn), so this is polling at the speed of the system, not a fixed sleep.
 */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
