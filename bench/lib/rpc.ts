import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SLOWED } from '../arms/common.ts';

/** A request to a bench child process and its answer, matched by id over the IPC channel. */
export interface Envelope {
  id: number;
  cmd: string;
  args?: unknown;
  result?: unknown;
  error?: string;
}

/**
 * The children load wsgate from the built `dist/`, the JavaScript users install from npm (`pnpm bench`
 * builds it first), like every peer arm's package. BENCH_SOURCE=1 loads the TypeScript source through tsx
 * instead (no build step while iterating): tsx keeps function names (esbuild's `keepNames`), which wraps
 * every named closure made per upgrade in a `__name()` call the published build does not have, so the
 * source costs a few percent more per handshake.
 */
export const FROM_SOURCE = process.env.BENCH_SOURCE === '1';
const NODE_ARGS = [
  ...(FROM_SOURCE ? ['--conditions=@wsgate/source'] : []),
  '--import',
  'tsx',
  '--expose-gc',
  '--max-old-space-size=2048',
];

/** Whether `taskset` can pin children to a CPU (checked once; without it the numbers are noisier). */
export const canPin = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Every child still running, so the orchestrator can kill them all on error, SIGINT or exit. */
const live = new Set<ChildProcess>();
/** Tracks a child the suite started some other way, so killAll reaches it too. */
export function track(proc: ChildProcess): void {
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
}

/** SIGTERM first: a child that owns children of its own (redis-latency's redis-server) can stop them. */
export function killAll(): void {
  for (const proc of live) proc.kill('SIGTERM');
  const stragglers = [...live];
  live.clear();
  setTimeout(() => {
    for (const proc of stragglers)
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }, 1_000).unref();
}

/** A bench child process (server or load generator) driven by request/answer messages. */
export class Child {
  readonly #proc: ChildProcess;
  readonly #script: string;
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 1;
  #exited: Promise<void>;

  /**
   * `cpu` pins the process with taskset (which execs node in place: same pid, same IPC channel); `wrap` is
   * a command node runs under (valgrind), which keeps the pid and the IPC channel too; `nodeArgs` are
   * added to node's own.
   */
  constructor(
    script: string,
    args: string[],
    launch: { cpu?: number; wrap?: string[]; nodeArgs?: string[] } = {},
  ) {
    this.#script = script;
    const { cpu, wrap = [], nodeArgs = [] } = launch;
    const pinned = cpu !== undefined && canPin;
    const command = [...(pinned ? ['taskset', '-c', String(cpu)] : []), ...wrap, process.execPath];
    this.#proc = fork(fileURLToPath(new URL(`../${script}`, import.meta.url)), args, {
      execPath: command[0],
      execArgv: [...command.slice(1), ...NODE_ARGS, ...nodeArgs],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    track(this.#proc);
    this.#proc.on('message', (m: Envelope) => {
      const w = this.#waiting.get(m.id);
      if (!w) return;
      this.#waiting.delete(m.id);
      if (m.error) w.reject(new Error(`${script} ${m.cmd}: ${m.error}`));
      else w.resolve(m.result);
    });
    this.#exited = new Promise((resolve) => {
      this.#proc.on('exit', (code, signal) => {
        for (const w of this.#waiting.values()) w.reject(new Error(`${script} exited (${code ?? signal})`));
        this.#waiting.clear();
        resolve();
      });
    });
  }

  /**
   * Sends a command; rejects if there is no answer within `timeout` ms (no window can hang the run), or
   * `SLOWED` times that while the server runs under callgrind.
   */
  call<T>(cmd: string, args?: unknown, timeout = 120_000 * SLOWED): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`${this.#script} ${cmd}: no answer in ${timeout} ms`));
      }, timeout);
      this.#waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      if (!this.#proc.connected) {
        this.#waiting.get(id)?.reject(new Error(`${this.#script} ${cmd}: process gone`));
        this.#waiting.delete(id);
        return;
      }
      this.#proc.send({ id, cmd, args } satisfies Envelope);
    });
  }

  /** SIGTERM, then SIGKILL if it has not exited within 3 s. */
  async stop(): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    this.#proc.kill('SIGTERM');
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 3_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** In a child: answers requests with the handlers given (each may be async). */
export function serve(handlers: Record<string, (args: any) => unknown>): void {
  process.on('message', async (m: Envelope) => {
    const handler = handlers[m.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${m.cmd}`);
      const result = await handler(m.args);
      process.send?.({ id: m.id, cmd: m.cmd, result });
    } catch (err) {
      process.send?.({ id: m.id, cmd: m.cmd, error: String((err as Error)?.stack ?? err) });
    }
  });
  process.on('SIGTERM', () => process.exit(0));
  process.on('disconnect', () => process.exit(0));
}
