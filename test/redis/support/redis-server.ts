import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { systemAvailable } from '../../support/system.ts';

/** The redis-server binary on PATH (or /usr/bin), or undefined when Redis is not installed. */
export const redisServerBin: string | undefined = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin']
  .map((dir) => join(dir, 'redis-server'))
  .find((file) => existsSync(file));

/**
 * Whether the Redis suites run. Without the binary they are skipped with a printed reason, unless
 * WSGATE_REQUIRE_ALL=1, where a missing binary fails the run instead of hiding it.
 */
export function redisAvailable(): boolean {
  return systemAvailable(
    'the Redis suites',
    redisServerBin ? undefined : 'redis-server is not installed (apt-get install redis-server)',
  );
}

/** A free TCP port on 127.0.0.1: bind port 0, read it, release it (redis's `--port 0` opens no TCP port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A private redis-server for one suite: no persistence, its own temp dir, its own port. */
export class RedisServer {
  readonly port: number;
  readonly url: string;
  readonly #dir = mkdtempSync(join(tmpdir(), 'wsgate-redis-'));
  readonly #args: string[];
  #child: ChildProcess | undefined;

  private constructor(port: number, args: string[]) {
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
    this.#args = args;
  }

  /**
   * Starts redis-server on a free port (or the given one) and waits until it accepts connections.
   * `args` are extra redis-server arguments (`['--requirepass', 'secret']`).
   */
  static async start(port?: number, args: string[] = []): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()), args);
    await server.restart();
    return server;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** (Re)starts the server on the same port; resolves on "Ready to accept connections". */
  async restart(): Promise<void> {
    if (this.#child) throw new Error('redis-server is already running');
    const child = spawn(
      redisServerBin!,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.#dir,
        '--daemonize',
        'no',
        ...this.#args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Ready to accept connections')) {
          child.stdout!.off('data', onData);
          child.off('exit', onExit);
          child.stdout!.resume();
          resolve();
        }
      };
      const onExit = (code: number | null) => {
        this.#child = undefined;
        reject(new Error(`redis-server exited (${code}) before it was ready:\n${log}`));
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
      });
      child.once('exit', onExit);
    });
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
  }

  /** Kills the server with a signal (SIGKILL: an outage with no goodbye) and waits for it to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
    this.#child = undefined;
  }

  /** Kills the server and removes its directory. */
  async stop(): Promise<void> {
    await this.kill('SIGKILL');
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
