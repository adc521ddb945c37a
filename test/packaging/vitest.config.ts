import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

// The packaging job runs alone (`pnpm test:packaging`): it builds, packs and installs with npm, which is
// too slow for every `pnpm test`. Spread, not mergeConfig, so the root's exclude of this folder is replaced.
export default defineConfig({
  ...base,
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    ...base.test,
    include: ['test/packaging/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
