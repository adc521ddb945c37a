import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const project = fileURLToPath(new URL('./fastify-user/tsconfig.json', import.meta.url));

// The user type is declared by merging into FastifyGateTypes, which would change it for every file of one
// program: fastify-user/app.ts is compiled on its own (and excluded from the main tsconfig).
it('declaring FastifyGateTypes.user types session.user, fastify.wsgate and authenticate on every Fastify route', async () => {
  const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
    execFile(process.execPath, [tsc, '-p', project], (err, stdout, stderr) =>
      resolve({ code: err ? (err.code as number) : 0, out: stdout + stderr }),
    );
  });
  expect(result.out).toBe('');
  expect(result.code).toBe(0);
}, 60_000);
