/**
 * The packages as npm users get them: build, `pnpm pack` every package (which rewrites `workspace:` ranges),
 * check each tarball with publint and @arethetypeswrong/cli, install the tarballs with npm into a scratch app
 * in a temporary folder outside the workspace, typecheck its CommonJS (.cts) and ESM (.mts) smoke apps with
 * tsc under `strict`, and run them on every Node given (a real ws client connects and gets its echo).
 *
 * Slow (a build and an npm install): `pnpm test:packaging` runs it, and `.ci/run` on the machine's Node and
 * Node 24 (`WSGATE_EXTRA_NODES`, a `:`-separated list of node binaries).
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run } from './run.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const names = ['core', 'express', 'fastify', 'koa', 'redis', 'client'] as const;
/** ESM-only packages (the browser client): one `dist/`, no CommonJS build and so no CommonJS marker. */
const esmOnly: ReadonlySet<string> = new Set(['client']);
const nodes = [process.execPath, ...(process.env.WSGATE_EXTRA_NODES?.split(':').filter(Boolean) ?? [])];
const scratch = mkdtempSync(join(tmpdir(), 'wsgate-packaging-'));
const tarballDir = join(scratch, 'tarballs');
const appDir = join(scratch, 'app');
const tarballs = new Map<string, string>();

/** The range the workspace itself uses for a dependency of the smoke apps, so both test the same majors. */
function workspaceRange(pkgDir: string, dep: string): string {
  const pkg = JSON.parse(readFileSync(join(root, pkgDir, 'package.json'), 'utf8'));
  const range = pkg.dependencies?.[dep] ?? pkg.devDependencies?.[dep];
  if (typeof range !== 'string') throw new Error(`${pkgDir}/package.json does not name ${dep}`);
  return range;
}

function tarEntries(tarball: string): Promise<string[]> {
  return run('tar', ['-tzf', tarball], { cwd: scratch, timeout: 10_000 }).then((r) =>
    r.stdout.split('\n').filter(Boolean),
  );
}

beforeAll(async () => {
  await run('pnpm', ['build:packages'], { cwd: root, timeout: 120_000 });
  for (const name of names) {
    await run('pnpm', ['pack', '--pack-destination', tarballDir], {
      cwd: join(root, 'packages', name),
      timeout: 60_000,
    });
  }
  for (const file of readdirSync(tarballDir)) {
    const name = /^wsgate-([a-z]+)-\d/.exec(file)?.[1];
    if (name) tarballs.set(name, join(tarballDir, file));
  }
}, 240_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.each(names)('@wsgate/%s tarball', (name) => {
  test('has every workspace: range rewritten, the CommonJS marker (dual packages), LICENSE, README and CHANGELOG', async () => {
    const tarball = tarballs.get(name);
    expect(tarball, `pnpm pack made no tarball for ${name}`).toBeDefined();
    const entries = await tarEntries(tarball!);
    const builds = esmOnly.has(name)
      ? ['dist/index.js', 'dist/index.d.ts']
      : [
          'dist/cjs/package.json',
          'dist/cjs/index.js',
          'dist/cjs/index.d.ts',
          'dist/esm/index.js',
          'dist/esm/index.d.ts',
        ];
    if (esmOnly.has(name)) expect(entries.filter((e) => e.startsWith('package/dist/cjs/'))).toEqual([]);
    for (const file of ['LICENSE', 'README.md', 'CHANGELOG.md', ...builds]) {
      expect(entries, file).toContain(`package/${file}`);
    }
    expect(entries.filter((e) => e.endsWith('.test.ts') || e.endsWith('.tsbuildinfo'))).toEqual([]);
    const { stdout } = await run('tar', ['-xzOf', tarball!, 'package/package.json'], {
      cwd: scratch,
      timeout: 10_000,
    });
    expect(stdout).not.toContain('workspace:');
    const readme = (
      await run('tar', ['-xzOf', tarball!, 'package/README.md'], { cwd: scratch, timeout: 10_000 })
    ).stdout;
    // The registry shows the README outside the repository: relative links would point nowhere.
    expect(readme.match(/\]\((?!https?:\/\/|#)[^)]*\)/g) ?? []).toEqual([]);
  });

  test('publint reports nothing', async () => {
    const tarball = readFileSync(tarballs.get(name)!);
    const buffer = tarball.buffer.slice(tarball.byteOffset, tarball.byteOffset + tarball.byteLength);
    const result = await publint({ pack: { tarball: buffer }, level: 'suggestion', strict: true });
    const lines = result.messages.map((m) => `${m.type}: ${formatMessage(m, result.pkg, { color: false })}`);
    expect(lines).toEqual([]);
  });

  test('@arethetypeswrong/cli finds no problem for node10, node16 (CommonJS and ESM) and bundlers', async () => {
    const attw = join(root, 'node_modules', '.bin', 'attw');
    // Exits non-zero on any problem; the table it prints is the failure message.
    // An ESM-only package is checked for what it promises: node16 ESM and bundlers.
    const profile = esmOnly.has(name) ? ['--profile', 'esm-only'] : [];
    await run(attw, [tarballs.get(name)!, '--format', 'table-flipped', '--no-color', ...profile], {
      cwd: scratch,
      timeout: 60_000,
    });
  });
});

test('the API reference builds from the TSDoc with no warning (broken {@link}s fail)', async () => {
  await run('pnpm', ['build:docs'], { cwd: root, timeout: 120_000 });
  for (const name of names.filter((n) => !esmOnly.has(n)))
    expect(existsSync(join(root, 'docs', 'api', 'modules', `_wsgate_${name}.html`))).toBe(true);
});

describe('a scratch app outside the workspace, installed from the tarballs with npm', () => {
  beforeAll(async () => {
    cpSync(join(root, 'test', 'packaging', 'app'), appDir, { recursive: true });
    const dependencies: Record<string, string> = {};
    for (const [name, tarball] of tarballs) dependencies[`@wsgate/${name}`] = `file:${tarball}`;
    Object.assign(dependencies, {
      express: workspaceRange('packages/express', 'express'),
      ws: workspaceRange('packages/core', 'ws'),
      '@types/express': workspaceRange('packages/express', '@types/express'),
      '@types/koa': workspaceRange('packages/koa', '@types/koa'),
      '@types/node': workspaceRange('packages/core', '@types/node'),
      '@types/ws': workspaceRange('packages/core', '@types/ws'),
    });
    writeFileSync(
      join(appDir, 'package.json'),
      `${JSON.stringify({ name: 'wsgate-smoke', private: true, dependencies }, null, 2)}\n`,
    );
    // npm, not pnpm: the point is that plain npm installs what we publish. The npm cache serves repeats.
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
      cwd: appDir,
      timeout: 180_000,
    });
  }, 200_000);

  test('typechecks under strict with tsc (.cts as CommonJS, .mts as ESM) and compiles', async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const project of ['tsconfig.cjs.json', 'tsconfig.esm.json']) {
      await run(process.execPath, [tsc, '-p', project], { cwd: appDir, timeout: 120_000 });
    }
    expect(readdirSync(join(appDir, 'dist')).sort()).toEqual(
      [
        'client.cjs',
        'core.cjs',
        'core.mjs',
        'express.cjs',
        'express.mjs',
        'load-all.cjs',
        'load-all.mjs',
      ].sort(),
    );
  });

  const apps = [
    ['express.cjs', 'ok express cjs'],
    ['express.mjs', 'ok express esm'],
    ['core.cjs', 'ok core cjs'],
    ['core.mjs', 'ok core esm'],
    ['load-all.cjs', 'ok load-all cjs'],
    ['load-all.mjs', 'ok load-all esm'],
  ] as const;
  for (const node of nodes) {
    test.each(apps)(
      `%s runs, echoes and exits on ${node === process.execPath ? 'this Node' : node}`,
      async (app, ok) => {
        const { stdout } = await run(node, [join('dist', app)], { cwd: appDir, timeout: 30_000 });
        expect(stdout.trim()).toBe(ok);
      },
    );
  }
});
