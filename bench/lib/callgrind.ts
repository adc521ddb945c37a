/**
 * BENCH_CALLGRIND=<dir>: the server runs under `valgrind --tool=callgrind` with instrumentation off, and
 * each measured phase is counted alone: `callgrind_control` turns it on and zeroes the counters at
 * `measure`, dumps them at `result` (`<dir>/callgrind.<pid>.<n>`) and turns it off again. Instruction
 * counts barely move with the machine's load, unlike CPU time, so small changes can be measured on a
 * busy machine. About 50x slower while on: use it for one scenario and a few arms.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.BENCH_CALLGRIND;

/** The command the server runs under (none without BENCH_CALLGRIND). */
export function callgrindWrap(): string[] {
  if (!dir) return [];
  return [
    'valgrind',
    '--tool=callgrind',
    '--instr-atstart=no',
    `--callgrind-out-file=${join(dir, 'callgrind.%p')}`,
  ];
}

/**
 * Runs `callgrind_control <args> <our pid>`. Callgrind takes commands only while the process executes
 * code, so the event loop spins (setImmediate) until the answer: blocked in epoll it would never come.
 */
function control(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    let spinning = true;
    const spin = () => {
      if (spinning) setImmediate(spin);
    };
    spin();
    execFile('callgrind_control', [...args, String(process.pid)], (err, out) => {
      spinning = false;
      if (err) reject(err);
      else resolve(out);
    });
  });
}

/** Starts counting (instrumentation on, counters zeroed). */
export async function startCount(): Promise<void> {
  if (!dir) return;
  await control(['-i', 'on']);
  await control(['-z']);
}

/** Stops counting: the instructions since `startCount`. */
export async function stopCount(): Promise<number | undefined> {
  if (!dir) return undefined;
  await control(['-d']);
  await control(['-i', 'off']);
  const prefix = `callgrind.${process.pid}.`;
  const last = readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))
    .at(-1);
  if (!last) return undefined;
  const summary = /^summary: (\d+)/m.exec(readFileSync(join(dir, last), 'utf8'));
  return summary ? Number(summary[1]) : undefined;
}
