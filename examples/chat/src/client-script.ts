import { createRequire } from 'node:module';

let bundled: Promise<string> | undefined;

/**
 * @wsgate/client as one ESM file for the page, bundled (and minified) by esbuild on first use, from the
 * package's TypeScript source: no build step before `pnpm start`, on a machine with only Node and npm.
 * esbuild resolves the client through the workspace like any import.
 */
export function clientScript(): Promise<string> {
  bundled ??= (async () => {
    const { build } = await import('esbuild');
    const entry = createRequire(import.meta.url).resolve('@wsgate/client/package.json');
    const result = await build({
      entryPoints: [new URL('./src/index.ts', `file://${entry}`).pathname],
      bundle: true,
      format: 'esm',
      minify: true,
      target: 'es2020',
      write: false,
    });
    return result.outputFiles[0]!.text;
  })();
  bundled.catch(() => {
    bundled = undefined; // try again on the next request
  });
  return bundled;
}
