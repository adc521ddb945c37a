import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A JSON line a child process printed. */
export type ChildEvent = { type: string } & Record<string, unknown>;

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * A TypeScript file run in its own Node process (workspace packages resolved to source, as in the tests),
 * whose stdout JSON lines are collected as events. The child exits when its stdin closes.
 */
export class NodeProcess {
  readonly events: ChildEvent[] = [];
  readonly child: ChildProcess;
  readonly #waiters = new Set<() => void>();
  #stderr = '';
  #exited = false;

  constructor(file: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--conditions=@wsgate/source', '--import', 'tsx', file], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as ChildEvent);
      } catch {
        this.#stderr += `${line}\n`;
      }
      this.#wake();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString();
    });
    this.child.once('exit', () => {
      this.#exited = true;
      this.#wake();
    });
  }

  /** Waits for the first event (from index `from` on) that matches, and returns it. */
  async waitFor(
    match: (e: ChildEvent) => boolean,
    what: string,
    from = 0,
    timeoutMs = 15_000,
  ): Promise<ChildEvent> {
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      this.#wake();
    }, timeoutMs);
    try {
      for (;;) {
        const found = this.events.slice(from).find(match);
        if (found) return found;
        if (this.#exited) throw new Error(`child exited before ${what}:\n${this.#stderr}`);
        if (timedOut) throw new Error(`timed out waiting for ${what}:\n${this.#stderr}`);
        await new Promise<void>((resolve) => this.#waiters.add(resolve));
      }
    } finally {
      clearTimeout(deadline);
    }
  }

  /** Ends the child (stdin closed, then SIGKILL if it lingers) and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }

  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w();
  }
}
