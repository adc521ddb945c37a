import { appendFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';

/** One failure as `.ci/run` prints it: where, and the first line of why. */
interface Failure {
  name: string;
  error: string;
}

function firstLine(error: unknown): string {
  const message =
    typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
  return message.split('\n', 1)[0]?.slice(0, 300) ?? '';
}

/**
 * Appends this run's test counts, the name and first error line of every failure, and the tests that passed
 * only on their retry, as one JSON line to
 * `$WSGATE_COUNTS_FILE`, so `.ci/run` can print the failures and one summed `N passed, N failed` line across
 * Node versions and suites (a CI log is often read from its tail only).
 */
export default class CountReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let skipped = 0;
    const failures: Failure[] = [];
    const flaky: string[] = [];
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const result = test.result();
        const name = `${mod.moduleId.replace(`${process.cwd()}/`, '')} > ${test.fullName}`;
        if (result.state === 'passed') {
          passed++;
          if (test.diagnostic()?.flaky) flaky.push(name);
        } else if (result.state === 'failed') {
          failures.push({ name, error: firstLine(result.errors?.[0]) });
        } else skipped++;
      }
      // A module that failed to load has no tests but is a failure all the same.
      if (mod.state() === 'failed' && [...mod.children.allTests()].length === 0) {
        failures.push({ name: mod.moduleId, error: firstLine(mod.errors()[0]) });
      }
    }
    for (const error of unhandledErrors) failures.push({ name: 'unhandled error', error: firstLine(error) });
    const file = process.env.WSGATE_COUNTS_FILE;
    if (file) {
      const line = { passed, failed: failures.length, skipped, node: process.version, failures, flaky };
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    }
  }
}
