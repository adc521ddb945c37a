/**
 * Profiles of each measured phase only (not the start-up, the connects or the warm-up), written by the
 * server as `<dir>/<scenario>-<arm>-<phase>-<pid>.<kind>`; summarise them with `bench/profile.ts`.
 *   BENCH_CPU_PROF=<dir>   V8 CPU profile (`.cpuprofile`), sampled every BENCH_CPU_PROF_INTERVAL µs (100).
 *   BENCH_HEAP_PROF=<dir>  V8 sampling heap profile (`.heapprofile`) of what the phase allocated and a
 *                          scavenge did not free: what it promoted to the old generation, whether a later
 *                          major GC freed it or it is still alive (the cause of major GCs in a phase).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

const cpuDir = process.env.BENCH_CPU_PROF;
const heapDir = process.env.BENCH_HEAP_PROF;
const interval = Number(process.env.BENCH_CPU_PROF_INTERVAL ?? 100);
let session: Session | undefined;
let phase = 0;

async function connect(): Promise<Session> {
  if (session) return session;
  const s = new Session();
  s.connect();
  if (cpuDir) {
    await s.post('Profiler.enable');
    await s.post('Profiler.setSamplingInterval', { interval });
  }
  if (heapDir) await s.post('HeapProfiler.enable');
  session = s;
  return s;
}

export async function startProfile(): Promise<void> {
  if (!cpuDir && !heapDir) return;
  const s = await connect();
  if (cpuDir) await s.post('Profiler.start');
  if (heapDir) {
    await s.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: false,
    } as never);
  }
}

export async function stopProfile(arm: string): Promise<void> {
  if (!session) return;
  const name = `${process.env.BENCH_SCENARIO ?? 'window'}-${arm}-${phase++}-${process.pid}`;
  if (cpuDir) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(cpuDir, `${name}.cpuprofile`), JSON.stringify(profile));
  }
  if (heapDir) {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(join(heapDir, `${name}.heapprofile`), JSON.stringify(profile));
  }
}
