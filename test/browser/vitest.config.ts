import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

// The browser suite (and the chat's plain server tests) run once in CI: `pnpm test:browser`. It reuses the
// root config (the `@wsgate/source` condition, timeouts, the counting reporter CI adds with
// WSGATE_COUNTS_FILE) and replaces only what is run. Not mergeConfig: it would concatenate the root's
// exclude list, which excludes this folder.
export default defineConfig({
  ...base,
  root: fileURLToPath(new URL('../../', import.meta.url)),
  test: {
    ...base.test,
    include: ['test/browser/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // The type tests run once, with the root suites.
    typecheck: { enabled: false },
    // Chromium is heavy on a shared 2-core machine: one file at a time, generous timeouts.
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
});
