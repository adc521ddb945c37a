import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ConformanceTarget } from '../conformance/target.ts';

/** A conformance target found at runtime, with what a child process needs to load it again. */
export interface FoundTarget {
  /** Absolute path of the `test/targets/*.ts` module. */
  file: string;
  /** The export holding the target. */
  exportName: string;
  target: ConformanceTarget;
}

/** `test/targets`, next to this folder. */
export const targetsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'targets');

function isTarget(value: unknown): value is ConformanceTarget {
  const v = value as Partial<ConformanceTarget> | null;
  return typeof v === 'object' && v !== null && typeof v.name === 'string' && typeof v.start === 'function';
}

/**
 * Every target in `test/targets/*.ts` (core alone and each adapter that has landed), so the fault tests
 * and the soak pick adapters up without being edited. A target module that fails to import is an error,
 * not a silent skip: a broken adapter must not make the soak pass with fewer targets.
 */
export async function loadTargets(): Promise<FoundTarget[]> {
  const files = readdirSync(targetsDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort((a, b) => (a === 'core.ts' ? -1 : b === 'core.ts' ? 1 : a.localeCompare(b)));
  const found: FoundTarget[] = [];
  for (const f of files) {
    const file = join(targetsDir, f);
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const [exportName, value] of Object.entries(mod)) {
      if (isTarget(value)) found.push({ file, exportName, target: value });
    }
  }
  return found;
}

/** Loads one target by module path and export name (in a child process). */
export async function loadTarget(file: string, exportName: string): Promise<ConformanceTarget> {
  const value = ((await import(pathToFileURL(file).href)) as Record<string, unknown>)[exportName];
  if (!isTarget(value)) throw new Error(`${file} has no conformance target export '${exportName}'`);
  return value;
}
