/**
 * One measurement window: a fresh server for the arm (pinned to CPU 0) and a fresh load generator
 * (pinned to CPU 1), started side by side, both stopped afterwards whatever happens.
 */
import type { ArmInfo } from '../arms/index.ts';
import type { Target } from '../clients.ts';
import { Child } from './rpc.ts';

export interface Measured {
  cpuMicros: number;
  loopP99: number;
  loopMax: number;
}

export interface Window {
  server: Child;
  clients: Child;
  target(route: Target['route'], headers?: Record<string, string>): Target;
  /** Runs `work` between the server's measure and result calls. */
  measured<T>(work: () => Promise<T>): Promise<{ value: T; m: Measured }>;
}

export async function withWindow<T>(arm: ArmInfo, fn: (w: Window) => Promise<T>): Promise<T> {
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of every server (for finding what a ratio is made of).
  const prof = process.env.BENCH_CPU_PROF;
  const server = new Child('server.ts', [arm.name], 0, prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []);
  const clients = new Child('clients.ts', [], 1);
  try {
    const port = await server.call<number>('port', undefined, 60_000);
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
