import { readFileSync } from 'node:fs';

/** A ```ts block of a Markdown file, with the hidden preamble that declares what it leaves out. */
export interface Snippet {
  /** `README.md:42`: where the block starts. */
  where: string;
  /** Line number (1-based) of the block's first code line. */
  line: number;
  preamble: string;
  code: string;
}

/**
 * The ```ts blocks of a Markdown file. A block may be preceded (directly, blank lines allowed) by
 * `<!-- ts-preamble ... -->`: TypeScript declaring the free variables of a fragment (`declare const app:
 * Express;`) and its imports. The page hides it; the test compiles it before the block.
 */
export function snippetsOf(file: string, label: string): Snippet[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]?.trim() !== '```') end++;
    out.push({
      where: `${label}:${start + 1}`,
      line: start + 1,
      preamble: preambleBefore(lines, i),
      code: lines.slice(start, end).join('\n'),
    });
    i = end;
  }
  return out;
}

function preambleBefore(lines: string[], fence: number): string {
  let j = fence - 1;
  while (j >= 0 && lines[j]?.trim() === '') j--;
  if (lines[j]?.trim() !== '-->') return '';
  const close = j;
  while (j >= 0 && !lines[j]?.trim().startsWith('<!-- ts-preamble')) j--;
  if (j < 0) return '';
  return lines.slice(j + 1, close).join('\n');
}
