import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript source through the `@wsgate/source` export condition,
// so no build is needed before `pnpm test`.
const reporters: string[] = ['default'];
if (process.env.WSGATE_COUNTS_FILE) reporters.push('./test/support/count-reporter.ts');

export default defineConfig({
  resolve: { conditions: ['@wsgate/source'] },
  ssr: { resolve: { conditions: ['@wsgate/source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/soak/**', 'test/browser/**', 'test/fuzz/**', 'test/packaging/**'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // CI retries a failed test once (as Playwright's CI default does) so one timing hiccup on a shared
    // 2-core machine does not sink a run; a test that passed only on its retry is listed as FLAKY by
    // .ci/run, and one that fails twice fails the run.
    retry: process.env.CI ? 1 : 0,
    reporters,
    server: { deps: { inline: [/@wsgate\//] } },
    // `*.test-d.ts` files are type tests: tsc compiles them and every failed `expectTypeOf` or unused
    // `@ts-expect-error` is a failed test in the same run (and the same counts) as the runtime tests.
    typecheck: {
      enabled: true,
      include: ['packages/*/test/**/*.test-d.ts', 'test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
});
