/**
 * Whether a suite that needs a system component (Redis, Chromium, the python peers) runs. `missing` is
 * undefined when the component is there, else why it is not (with the install hint). Missing, the suite
 * is skipped with a printed reason, unless WSGATE_REQUIRE_ALL=1 (CI), where it fails instead of hiding.
 */
export function systemAvailable(suite: string, missing: string | undefined): boolean {
  if (missing === undefined) return true;
  if (process.env.WSGATE_REQUIRE_ALL === '1')
    throw new Error(`${suite}: ${missing} and WSGATE_REQUIRE_ALL=1`);
  console.warn(`[wsgate] skipping ${suite}: ${missing}`);
  return false;
}
