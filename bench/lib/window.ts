/**
 * One measurement window: a fresh server for the arm (pinned to CPU 0) and a fresh load generator
 * (pinned to CPU 1), started side by side, both stopped afterwards whatever happens.
 */

import { SLOWED } from '../arms/common.ts';
import type { ArmInfo } from '../arms/index.ts';
import type { Target } from '../clients.ts';
import { callgrindWrap } from './callgrind.ts';
import { Child } from './rpc.ts';

export interface Measured {
  cpuMicros: number;
  /** The kernel's part of `cpuMicros` (system calls: reads, writes, epoll, accept). */
  sysMicros: number;
  loopP99: number;
  loopMax: number;
  /** Garbage collections in the phase: how many major and minor, and their main-thread pauses in ms. */
  gc: { major: number; minor: number; ms: number };
  /** Instructions the server executed in the phase, under BENCH_CALLGRIND only. */
  instructions?: number;
}

export interface Window {
  server: Child;
  clients: Child;
  target(route: Target['route'], headers?: Record<string, string>): Target;
  /** Runs `work` between the server's measure and result calls. */
  measured<T>(work: () => Promise<T>): Promise<{ value: T; m: Measured }>;
}

export async function withWindow<T>(arm: ArmInfo, fn: (w: Window) => Promise<T>): Promise<T> {
  // BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile of each measured phase (lib/profiler.ts);
  // BENCH_CALLGRIND=<dir>: it runs under callgrind and counts each phase's instructions (lib/callgrind.ts);
  // BENCH_STRACE=<dir>: its system calls are counted (lib/strace.ts); BENCH_SERVER_NODE_ARGS: more node
  // flags for it (`--trace-gc`).
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const server = new Child('server.ts', [arm.name], { cpu: 0, wrap: callgrindWrap(), nodeArgs });
  const clients = new Child('clients.ts', [], { cpu: 1 });
  try {
    const port = await server.call<number>('port', undefined, 60_000 * SLOWED);
    return await fn({
      server,
      clients,
      target: (route, headers) => ({ port, proto: arm.proto, route, ...(headers ? { headers } : {}) }),
      async measured(work) {
        await server.call('measure');
        const value = await work();
        const m = await server.call<Measured>('result');
        return { value, m };
      },
    });
  } finally {
    await clients.call('close', undefined, 10_000).catch(() => {});
    await Promise.all([clients.stop(), server.stop()]);
  }
}
