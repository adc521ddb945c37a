/**
 * `@opentelemetry/api` is an optional peer dependency: an app without it imports `@wsgate/core` as usual;
 * only `@wsgate/core/otel` needs it. Shown in a child Node whose module hooks hide every `@opentelemetry/`
 * package (the otel entry failing to load there shows the hiding works).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

const testDir = fileURLToPath(new URL('..', import.meta.url));
const hide = fileURLToPath(new URL('./fixtures/hide-otel.mjs', import.meta.url));

const script = `
const core = await import('@wsgate/core');
const gate = core.createGate();
gate.route('/x', () => {});
console.log('core', typeof core.createGate, gate.stats().open);
await import('@wsgate/core/otel').then(
  () => console.log('otel loaded'),
  (err) => console.log('otel', err.code),
);
`;

test('@wsgate/core loads and works without @opentelemetry/api; only @wsgate/core/otel needs it', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@wsgate/source', '--import', 'tsx', '--import', hide, '--input-type=module', '-e', script],
    { cwd: testDir, timeout: 30_000 },
  );
  expect(stdout.trim().split('\n')).toEqual(['core function 0', 'otel ERR_MODULE_NOT_FOUND']);
});
