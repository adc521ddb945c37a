/**
 * Starts the cluster example with one command: Redis (unless REDIS_URL is set, a private redis-server on
 * a free port), then two app processes on ports 3001 and 3002 sharing it. Ctrl-C stops everything.
 *
 * `--check` runs a round trip instead of staying up: a client on each node joins the lobby, one sends,
 * both must receive it; exits 0 on success.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const check = process.argv.includes('--check');
const basePort = Number(process.env.PORT ?? 3001);
const children: ChildProcess[] = [];
let redisDir: string | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Spawns a child, prefixes its output, and resolves once a line matches `ready`. */
function run(
  label: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<void> {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const log: string[] = [];
  return new Promise((resolve, reject) => {
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        // Redis's start-up banner is noise here; its output is shown only if it fails to start.
        if (label !== 'redis') console.log(`${label} | ${line}`);
        else log.push(line);
        if (ready.test(line)) resolve();
      }
    };
    child.stdout!.on('data', onLine);
    child.stderr!.on('data', onLine);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${label} exited with ${code}\n${log.join('\n')}`)));
  });
}

async function startRedis(): Promise<string> {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  const port = await freePort();
  redisDir = mkdtempSync(join(tmpdir(), 'wsgate-cluster-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  await run('redis', 'redis-server', [...args, '--dir', redisDir], {}, /Ready to accept connections/);
  return `redis://127.0.0.1:${port}`;
}

function stopAll(): void {
  for (const child of children) child.kill('SIGTERM');
  if (redisDir) rmSync(redisDir, { recursive: true, force: true });
}

/** One client per node in the lobby; a message sent on node A must arrive on node B and on A. */
async function roundTrip(ports: number[]): Promise<void> {
  const clients = await Promise.all(
    ports.map(
      (port) =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/rooms/lobby`);
          ws.once('open', () => resolve(ws)).once('error', reject);
        }),
    ),
  );
  const text = `hello across processes ${Date.now()}`;
  const heard = clients.map(
    (ws) =>
      new Promise<string>((resolve) =>
        ws.on('message', (m) => String(m).endsWith(text) && resolve(String(m))),
      ),
  );
  clients[0]!.send(text);
  for (const [i, line] of (await Promise.all(heard)).entries())
    console.log(`check | client on node ${i + 1} got: ${line}`);
  for (const ws of clients) ws.close();
}

const server = fileURLToPath(new URL('./server.ts', import.meta.url));
process.once('SIGINT', stopAll);
try {
  const redisUrl = await startRedis();
  const ports = [basePort, basePort + 1];
  await Promise.all(
    ports.map((port, i) =>
      run(
        `node${i + 1}`,
        process.execPath,
        ['--conditions=@wsgate/source', '--import', 'tsx', server],
        { PORT: String(port), REDIS_URL: redisUrl, NODE_NAME: `node${i + 1}` },
        /http:\/\/localhost/,
      ),
    ),
  );
  if (check) {
    await roundTrip(ports);
    console.log('check | ok');
    stopAll();
  } else {
    console.log(
      `\nOpen http://localhost:${ports[0]} and http://localhost:${ports[1]}: one room, two processes.`,
    );
  }
} catch (err) {
  console.error(err);
  stopAll();
  process.exitCode = 1;
}
