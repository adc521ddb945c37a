import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

// The soak runs alone (`pnpm test:soak`): the root config's resolution and pool, but only the soak files
// (which the root config excludes) and long timeouts. Spread, not mergeConfig: that would concatenate the
// include/exclude lists and keep the soak excluded.
export default defineConfig({
  ...base,
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    ...base.test,
    include: ['test/soak/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // The type tests run once, with the root suites.
    typecheck: { enabled: false },
    testTimeout: 300_000,
    // Minutes long, and a failure here is load-related by design: never hidden behind a retry.
    retry: 0,
    hookTimeout: 60_000,
  },
});
