import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

/** Every `.d.ts` below a folder, with its text. */
async function declarations(dir: string): Promise<Array<{ file: string; text: string }>> {
  const out: Array<{ file: string; text: string }> = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    out.push({ file: file.slice(dir.length + 1), text: await readFile(file, 'utf8') });
  }
  return out;
}

// The published `.d.ts` shows only what users may touch: `stripInternal` removes every `@internal` member
// (Session's `_settings`, `_queue`, ...; PreparedUpgrade's constructor and `ipKey`).
test('the published declarations of @wsgate/core carry no _-prefixed member and no @internal symbol', async () => {
  const out = await mkdtemp(join(tmpdir(), 'wsgate-dts-'));
  try {
    await promisify(execFile)(process.execPath, [
      tsc,
      ...['-p', join(root, 'packages/core/tsconfig.json'), '--emitDeclarationOnly', '--outDir', out],
      ...['--declarationMap', 'false', '--composite', 'false', '--incremental', 'false'],
      ...['--tsBuildInfoFile', 'null'],
    ]);
    const files = await declarations(out);
    expect(files.map((f) => f.file)).toEqual(
      expect.arrayContaining(['index.d.ts', 'adapter.d.ts', 'session/session.d.ts']),
    );
    const leaks: string[] = [];
    const member = /^\s*(?:readonly |static |get |set |protected |private )*_\w+\s*[(:?<]/;
    for (const { file, text } of files) {
      text.split('\n').forEach((line, i) => {
        if (member.test(line) || line.includes('@internal')) leaks.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(leaks).toEqual([]);
    const session = files.find((f) => f.file === 'session/session.d.ts')!.text;
    expect(session).toContain('send(data: TSend): boolean;');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}, 60_000);
