/**
 * packages/core/ARCHITECTURE.md stays true: every file it names exists, and every source file of core is
 * named there (a new file gets a line in the map, a moved one is not left behind).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';

const core = join(import.meta.dirname, '../../packages/core');
const doc = readFileSync(join(core, 'ARCHITECTURE.md'), 'utf8');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** The files the map names, as paths under packages/core: bare names belong to the room being described. */
function named(): Set<string> {
  const files = new Set<string>();
  let room = '';
  for (const line of doc.split('\n')) {
    const opens = /^(?:## |- )`src\/([a-z0-9-]+)\/`/.exec(line);
    if (opens) room = opens[1]!;
    else if (line.startsWith('## ') || line.startsWith('- ')) room = '';
    for (const [, token] of line.matchAll(/`([A-Za-z0-9_./-]+\.ts)`/g)) {
      if (token!.includes('/')) {
        if (token!.startsWith('src/')) files.add(token!);
      } else files.add(room ? `src/${room}/${token}` : `src/${token}`);
    }
  }
  return files;
}

describe('packages/core/ARCHITECTURE.md', () => {
  const inMap = named();
  const onDisk = new Set(sources(join(core, 'src')).map((p) => relative(core, p)));

  test('every file it names exists', () => {
    expect([...inMap].filter((f) => !onDisk.has(f))).toEqual([]);
  });

  test('every source file of core is named', () => {
    expect([...onDisk].filter((f) => !inMap.has(f)).sort()).toEqual([]);
  });

  test('no source file is far over 300 lines (rooms, not long classes)', () => {
    const long = [...onDisk].filter((f) => readFileSync(join(core, f), 'utf8').split('\n').length > 330);
    expect(long).toEqual([]);
  });
});
