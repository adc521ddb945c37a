// Writes dist/cjs/package.json = { "type": "commonjs" } in each package (or in the package folders given as
// arguments). The packages are `"type": "module"`, so without it Node and TypeScript would read the
// CommonJS build's .js and .d.ts files as ES modules.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dirs =
  process.argv.length > 2
    ? process.argv.slice(2)
    : readdirSync(join(root, 'packages'))
        .map((name) => join(root, 'packages', name))
        // An ESM-only package (@wsgate/client) has no CommonJS build.
        .filter((dir) => existsSync(join(dir, 'tsconfig.cjs.json')));
for (const dir of dirs) {
  const cjs = join(dir, 'dist', 'cjs');
  if (!existsSync(cjs)) throw new Error(`${cjs} does not exist: build the package first`);
  writeFileSync(join(cjs, 'package.json'), '{ "type": "commonjs" }\n');
}
