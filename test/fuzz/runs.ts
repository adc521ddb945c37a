import type { Parameters } from 'fast-check';

/**
 * Runs per property: `WSGATE_FUZZ_RUNS` when set (`pnpm test:fuzz` sets 2000), else `fallback` (small,
 * so the conformance suite stays fast on every target).
 */
export function fuzzRuns(fallback = 50): number {
  const n = Number(process.env.WSGATE_FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * fast-check parameters for one property. `share` scales the run count for expensive properties (a
 * share of 0.2 runs a fifth as many). `WSGATE_FUZZ_SEED` replays a failure fast-check reported.
 */
export function fuzzParams<T>(share = 1): Parameters<T> {
  const seed = Number(process.env.WSGATE_FUZZ_SEED);
  return {
    numRuns: Math.max(1, Math.round(fuzzRuns() * share)),
    ...(Number.isInteger(seed) ? { seed } : {}),
  };
}
