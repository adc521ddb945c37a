/** Installed versions of what each arm runs, read from the bench package's own node_modules. */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const modules = fileURLToPath(new URL('../node_modules/', import.meta.url));

function version(dir: string): string {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

export function versions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pkg of [
    'ws',
    '@wsgate/core',
    'express',
    'fastify',
    'koa',
    '@fastify/websocket',
    'express-ws',
    'socket.io',
    'bufferutil',
    'ioredis',
  ]) {
    out[pkg] = version(join(modules, pkg));
  }
  // pnpm keeps express-ws's own ws 7 beside it in the store.
  try {
    out['ws (express-ws)'] = version(join(dirname(realpathSync(join(modules, 'express-ws'))), 'ws'));
  } catch {
    out['ws (express-ws)'] = '?';
  }
  return out;
}
