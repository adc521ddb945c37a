import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const dir = fileURLToPath(new URL('..', import.meta.url));

it('@wsgate/client stays within 5 KB min+gzip (size-limit, everything index.ts exports)', async () => {
  const { stdout } = await promisify(execFile)('pnpm', ['exec', 'size-limit', '--json'], { cwd: dir });
  const [result] = JSON.parse(stdout) as Array<{ passed: boolean; size: number; sizeLimit: number }>;
  expect(result!.sizeLimit).toBe(5000);
  expect(result!.size).toBeLessThanOrEqual(5000);
  expect(result!.passed).toBe(true);
}, 60_000);
