import { readdirSync } from 'node:fs';
import { vi } from 'vitest';
import { handshakeFuzzSuite } from '../conformance/handshake-fuzz.ts';
import { pathGuardSuite } from '../conformance/path-guards.ts';
import type { ConformanceTarget } from '../conformance/target.ts';

// Fuzz every target the conformance files run (core, each adapter and framework version as they land),
// with no list to keep in sync: their `runConformance(target)` calls register only the fuzz suites here.
vi.mock('../conformance/suite.ts', () => ({
  runConformance: (target: ConformanceTarget) => {
    handshakeFuzzSuite(target);
    pathGuardSuite(target);
  },
}));

const dir = new URL('../conformance/', import.meta.url);
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.test.ts'))
  .sort()) {
  await import(new URL(file, dir).href);
}
