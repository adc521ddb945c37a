/**
 * The benchmark suite (not a test): every arm in the same run, ratios to raw ws taken within each round.
 *   node --conditions=@wsgate/source --import tsx bench/run.ts [--quick] [--only=echo32,crowd] [--arms=raw,core]
 *     [--rounds=N] [--warmup=N]
 *   ... bench/run.ts [--quick] --report     re-renders RESULTS.md and the chart from results.json
 *
 * Each window starts a fresh server (CPU 0) and load generator (CPU 1); rounds rotate the arm order.
 * Writes bench/RESULTS.md, bench/results.json and bench/chart.svg (`.quick` variants with --quick; nothing
 * with --only/--arms, which are for iterating on one scenario).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ARMS, type ArmInfo } from './arms/index.ts';
import { chart } from './lib/chart.ts';
import { config } from './lib/config.ts';
import { type Results, report } from './lib/report.ts';
import { canPin, FROM_SOURCE, killAll } from './lib/rpc.ts';
import type { Round } from './lib/stats.ts';
import { crowd } from './scenarios/crowd.ts';
import { echo } from './scenarios/echo.ts';
import { handshake } from './scenarios/handshake.ts';
import { redisLatency } from './scenarios/redis.ts';
import { slow } from './scenarios/slow.ts';
import { storm } from './scenarios/storm.ts';

const argv = process.argv.slice(2);
const option = (name: string) =>
  argv
    .find((a) => a.startsWith(`--${name}=`))
    ?.split('=')[1]
    ?.split(',');
const quick = argv.includes('--quick');
const cfg = config(quick);
// For iterating: --rounds=N --warmup=N override the counts (only with --only/--arms: nothing is written).
const roundsOverride = option('rounds')?.[0];
const warmupOverride = option('warmup')?.[0];
if (roundsOverride) cfg.rounds = Number(roundsOverride);
if (warmupOverride) cfg.warmupRounds = Number(warmupOverride);
const onlyScenarios = option('only');
const onlyArms = option('arms');
const partial = Boolean(onlyScenarios || onlyArms || roundsOverride || warmupOverride);
const log = (...a: unknown[]) => console.error('[bench]', ...a);

const SCENARIOS: { key: string; run: (arm: ArmInfo) => Promise<Record<string, number>> }[] = [
  { key: 'echo32', run: (arm) => echo(arm, cfg, 32) },
  { key: 'echo4k', run: (arm) => echo(arm, cfg, 4096) },
  { key: 'hs', run: (arm) => handshake(arm, cfg, false) },
  { key: 'hsAuth', run: (arm) => handshake(arm, cfg, true) },
  { key: 'crowd', run: (arm) => crowd(arm, cfg, log) },
  { key: 'slow', run: (arm) => slow(arm, cfg) },
  { key: 'storm', run: (arm) => storm(arm, cfg) },
];

process.once('SIGINT', () => {
  log('interrupted: stopping every child');
  killAll();
  setTimeout(() => process.exit(130), 1_500);
});
process.once('exit', killAll);

/**
 * The arm order of a round: the noise arm sits half a cycle away from raw ws (so it never just follows
 * it), and each round rotates by a step that spreads every arm over early and late positions (rotating by
 * one kept raw ws in the second half of every round).
 */
function orderFor(arms: readonly ArmInfo[], round: number, rounds: number): ArmInfo[] {
  const cycle = arms.filter((a) => a.kind !== 'noise');
  const noise = arms.find((a) => a.kind === 'noise');
  if (noise) cycle.splice(Math.ceil(cycle.length / 2), 0, noise);
  const step = Math.max(1, Math.floor(cycle.length / Math.max(1, rounds)));
  const start = (((round * step) % cycle.length) + cycle.length) % cycle.length;
  return cycle.map((_, i) => cycle[(i + start) % cycle.length]!);
}

/** Writes RESULTS.md and the chart from results.json: report changes need no new run. */
function write(results: Results): string {
  const md = report(results);
  const suffix = results.quick ? '.quick' : '';
  writeFileSync(new URL(`./chart${suffix}.svg`, import.meta.url), chart(results));
  writeFileSync(new URL(`./RESULTS${suffix}.md`, import.meta.url), md);
  return md;
}

async function main(): Promise<void> {
  if (argv.includes('--report')) {
    const file = new URL(`./results${quick ? '.quick' : ''}.json`, import.meta.url);
    write(JSON.parse(readFileSync(file, 'utf8')) as Results);
    return;
  }
  if (!canPin) log('taskset not found: server and load generator are not pinned to separate CPUs (noisier)');
  const arms = ARMS.filter((a) => !onlyArms || onlyArms.includes(a.name));
  const scenarios = SCENARIOS.filter((s) =>
    onlyScenarios ? onlyScenarios.includes(s.key) : !cfg.skip.includes(s.key),
  );
  const started = Date.now();
  const rounds: Round[] = [];
  const failures: string[] = [];
  for (let r = 0; r < cfg.warmupRounds + cfg.rounds; r++) {
    const warmup = r < cfg.warmupRounds;
    const order = orderFor(arms, r - cfg.warmupRounds, cfg.rounds);
    const round: Round = {};
    // The warm-up round is the cheap echo window of every arm: disk caches, tsx's compile cache, CPU clocks.
    for (const s of warmup ? scenarios.slice(0, 1) : scenarios) {
      for (const arm of order) {
        const t0 = Date.now();
        process.env.BENCH_SCENARIO = s.key; // names the server's CPU profiles (BENCH_CPU_PROF)
        try {
          const metrics = await s.run(arm);
          for (const [k, v] of Object.entries(metrics)) {
            const key = `${s.key}.${k}`;
            round[key] = { ...round[key], [arm.name]: v };
          }
          const cpu = metrics.cpu ?? metrics.peakMiB ?? metrics.bytes;
          log(
            `round ${warmup ? 'warm-up' : r - cfg.warmupRounds + 1}`,
            s.key,
            arm.name,
            `${cpu?.toFixed(3)}`,
            `${Date.now() - t0} ms`,
            // BENCH_CALLGRIND: instructions per operation.
            ...Object.entries(metrics)
              .filter(([k]) => ['ir', 'sys', 'gcMajor', 'gcMs'].includes(k) || k.endsWith('.ir'))
              .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(k.endsWith('ir') ? 0 : 3)}`),
          );
        } catch (err) {
          const line = `round ${r + 1} ${s.key} ${arm.name}: ${(err as Error).message.split('\n')[0]}`;
          log('FAILED', line);
          failures.push(line);
        }
      }
    }
    if (!warmup) rounds.push(round);
  }
  let redis: string;
  if (!onlyScenarios || onlyScenarios.includes('redis')) {
    log('redis latency');
    redis = await redisLatency(cfg.redisSeconds).catch(
      (err: Error) => `Redis scenario failed: ${err.message}`,
    );
  } else redis = 'not run';
  const results: Results = {
    quick,
    date: new Date().toISOString(),
    minutes: (Date.now() - started) / 60_000,
    pinned: canPin,
    fromSource: FROM_SOURCE,
    cfg,
    arms: arms.map((a) => a.name),
    rounds,
    failures,
    redis,
  };
  if (partial) {
    console.log(report(results));
    return;
  }
  writeFileSync(
    new URL(`./results${quick ? '.quick' : ''}.json`, import.meta.url),
    `${JSON.stringify(results)}\n`,
  );
  console.log(write(results));
}

main().then(
  () => {
    killAll();
    process.exit(0);
  },
  (err) => {
    console.error(err);
    killAll();
    process.exit(1);
  },
);
