import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

// The root config excludes test/fuzz (CI runs these properties with few cases through the regular suites);
// `pnpm test:fuzz` uses this one: only test/fuzz, many cases (WSGATE_FUZZ_RUNS), generous time limits.
export default defineConfig({
  ...base,
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    ...base.test,
    include: ['test/fuzz/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // The type tests run once, with the root suites.
    typecheck: { enabled: false },
    testTimeout: 600_000,
    hookTimeout: 60_000,
  },
});
