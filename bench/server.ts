/**
 * The server side of one measurement window: starts one arm (argv[2]) and answers the orchestrator over
 * IPC. It measures itself: CPU with process.cpuUsage (every thread, so GC helpers count), memory after a
 * forced GC, event-loop delay with monitorEventLoopDelay.
 */
import {
  constants,
  type IntervalHistogram,
  monitorEventLoopDelay,
  PerformanceObserver,
} from 'node:perf_hooks';
import { armInfo } from './arms/index.ts';
import { startCount, stopCount } from './lib/callgrind.ts';
import { startProfile, stopProfile } from './lib/profiler.ts';
import { serve } from './lib/rpc.ts';
import { startTrace, stopTrace } from './lib/strace.ts';

const gc = (globalThis as { gc?: () => void }).gc;
const arm = await (await armInfo(process.argv[2] ?? '').load()).start();

function memory(): { heap: number; external: number; rss: number } {
  for (let i = 0; i < 3; i++) gc?.();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external, rss: m.rss };
}

let cpuStart: NodeJS.CpuUsage | undefined;
/** Garbage collections in the measured phase: main-thread pauses (concurrent marking is in the CPU only). */
const gcs = { major: 0, minor: 0, ms: 0 };
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcs.major++;
    else gcs.minor++;
    gcs.ms += e.duration;
  }
});
let histogram: IntervalHistogram | undefined;

/** Payloads with a sequence number up front, so no two are the same string (nothing can cache them). */
const payload = (seq: number, body: string) => `${String(seq).padStart(11, '0')} ${body}`;

serve({
  port: () => arm.port,
  count: () => arm.count(),
  memory: () => memory(),
  /** Starts measuring CPU and event-loop delay. */
  measure: async () => {
    await startProfile();
    // Not under callgrind: its 1 ms timer would count per (50x longer) wall-clock ms, not per operation.
    histogram = process.env.BENCH_CALLGRIND ? undefined : monitorEventLoopDelay({ resolution: 1 });
    histogram?.enable();
    await startCount();
    await startTrace(process.argv[2] ?? '');
    if (process.env.BENCH_SETTLE) gc?.();
    Object.assign(gcs, { major: 0, minor: 0, ms: 0 });
    // With BENCH_SERVER_NODE_ARGS=--trace-gc (or --trace-opt, ...): where the measured phase starts and ends.
    if (process.env.BENCH_SERVER_NODE_ARGS) console.log(`[${process.pid}] measure start`);
    gcObserver.observe({ entryTypes: ['gc'] });
    cpuStart = process.cpuUsage();
    return true;
  },
  /** Stops measuring: CPU microseconds (user + system, and system alone) and loop delay p99/max in ms. */
  result: async () => {
    if (process.env.BENCH_SETTLE) gc?.();
    const cpu = process.cpuUsage(cpuStart);
    gcObserver.disconnect();
    if (process.env.BENCH_SERVER_NODE_ARGS) console.log(`[${process.pid}] measure end`);
    await stopTrace();
    const instructions = await stopCount();
    const h = histogram;
    h?.disable();
    histogram = undefined;
    await stopProfile(process.argv[2] ?? '');
    return {
      instructions,
      cpuMicros: cpu.user + cpu.system,
      sysMicros: cpu.system,
      gc: { ...gcs },
      loopP99: h ? h.percentile(99) / 1e6 : Number.NaN,
      loopMax: h ? h.max / 1e6 : Number.NaN,
    };
  },
  /**
   * The reconnect storm: closes every open connection, spread over `window` ms, and keeps serving.
   * Returns when it began (wall clock, comparable with the load generator's) and how many it closes.
   */
  restart: ({ window }: { window: number }) => {
    const at = Date.now();
    return { at, closing: arm.restart(window) };
  },
  /** Publishes `ticks` times `perTick` messages to `topic`, one batch per event-loop turn. */
  fanout: ({
    topic,
    ticks,
    perTick,
    size,
  }: {
    topic: string;
    ticks: number;
    perTick: number;
    size: number;
  }) =>
    new Promise<number>((resolve) => {
      const body = 'x'.repeat(Math.max(0, size - 12));
      let tick = 0;
      const run = () => {
        for (let i = 0; i < perTick; i++) arm.publish(topic, payload(tick * perTick + i, body));
        if (++tick < ticks) setImmediate(run);
        else resolve(tick * perTick);
      };
      run();
    }),
  /**
   * Publishes `messages` of `size` bytes to `topic` whose members do not read, `perTick` per turn, and
   * reports the peak of heap + external seen after each turn (what the server holds for slow consumers).
   */
  flood: ({
    topic,
    messages,
    size,
    perTick,
  }: {
    topic: string;
    messages: number;
    size: number;
    perTick: number;
  }) =>
    new Promise<{ peak: number; peakRss: number }>((resolve) => {
      const body = 'y'.repeat(Math.max(0, size - 12));
      let sent = 0;
      let peak = 0;
      let peakRss = 0;
      const run = () => {
        for (let i = 0; i < perTick && sent < messages; i++) arm.publish(topic, payload(sent++, body));
        const m = process.memoryUsage();
        peak = Math.max(peak, m.heapUsed + m.external);
        peakRss = Math.max(peakRss, m.rss);
        if (sent < messages) setImmediate(run);
        else resolve({ peak, peakRss });
      };
      run();
    }),
});
