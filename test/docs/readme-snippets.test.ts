/**
 * Every ```ts block in every README (root, packages/*, examples/*) compiles under the repository's strict
 * settings (`strict`, `noUncheckedIndexedAccess`, `exactOptionalPropertyTypes`), against the packages' own
 * types. A fragment declares what it leaves out in a hidden `<!-- ts-preamble ... -->` comment right before
 * the block (the root README's Development section describes it); the code shown must compile as is.
 */
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, expect, test } from 'vitest';
import { type Snippet, snippetsOf } from './snippets.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Each README, and the folder its snippets are compiled in (so they resolve that package's dependencies). */
const readmes: Array<{ file: string; dir: string }> = [
  { file: join(root, 'README.md'), dir: join(root, 'test') },
  ...['packages', 'examples'].flatMap((group) =>
    readdirSync(join(root, group), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => ({ file: join(root, group, d.name, 'README.md'), dir: join(root, group, d.name) })),
  ),
].filter(({ file }) => existsSync(file));

const written: string[] = [];
afterAll(() => {
  for (const path of written) rmSync(path, { force: true });
});

test('every ```ts block in every README compiles under strict', () => {
  const files = new Map<string, Snippet>();
  for (const { file, dir } of readmes) {
    snippetsOf(file, relative(root, file)).forEach((snippet, i) => {
      // Beside the README, so `./src/app.js` resolves as the reader would expect; a dot-file, which tsc's
      // include globs skip, so a leftover never enters `pnpm typecheck`.
      const path = join(dir, `.readme-snippet-${i + 1}.ts`);
      written.push(path);
      // `export {}` makes each snippet a module of its own (top-level await allowed, no shared names).
      writeFileSync(path, `${snippet.preamble}\n${snippet.code}\nexport {};\n`);
      files.set(path, snippet);
    });
  }
  expect(files.size).toBeGreaterThan(15);

  const config = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram([...files.keys()], {
    ...options,
    noEmit: true,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    // Snippets show calls whose results they ignore; unused names are not what this test is about.
    noUnusedLocals: false,
  });
  // Only the snippets' own diagnostics: checking them checks what they use of the packages, and skips the
  // rest of every package's source (what `pnpm typecheck` is for), which would take several times longer.
  const diagnostics = [...files.keys()].flatMap((path) => {
    const sf = program.getSourceFile(path);
    return sf ? [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)] : [];
  });
  const problems = [...program.getOptionsDiagnostics(), ...diagnostics].flatMap((d) => {
    const snippet = d.file ? files.get(d.file.fileName) : undefined;
    if (!snippet || !d.file || d.start === undefined) return [];
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const preambleLines = snippet.preamble.split('\n').length;
    const where =
      line < preambleLines
        ? `${snippet.where} (preamble line ${line + 1})`
        : `${snippet.where.replace(/:\d+$/, '')}:${snippet.line + line - preambleLines}`;
    return [`${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`];
  });
  expect(problems).toEqual([]);
}, 90_000);
