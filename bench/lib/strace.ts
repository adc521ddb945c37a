/**
 * BENCH_STRACE=<dir>: the server's system calls during each measured phase, counted by `strace -c -f`
 * attached at `measure` and stopped at `result` (`<dir>/<scenario>-<arm>-<pid>-<n>.strace`). What
 * callgrind cannot see: the kernel's share of the CPU (reads, writes, epoll, accept, setsockopt).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const dir = process.env.BENCH_STRACE;
let tracer: ChildProcess | undefined;
let phase = 0;

/** Attaches strace; resolves once it has attached (it says so on stderr). */
export function startTrace(arm: string): Promise<void> {
  if (!dir) return Promise.resolve();
  const name = `${process.env.BENCH_SCENARIO ?? 'window'}-${arm}-${process.pid}-${phase++}.strace`;
  const t = spawn('strace', ['-c', '-f', '-p', String(process.pid), '-o', join(dir, name)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  tracer = t;
  return new Promise((resolve, reject) => {
    t.once('error', reject);
    t.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('attached')) resolve();
    });
  });
}

/** Detaches strace; resolves once it has written its summary. */
export function stopTrace(): Promise<void> {
  const t = tracer;
  tracer = undefined;
  if (!t || t.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    t.once('exit', () => resolve());
    t.kill('SIGINT');
  });
}
