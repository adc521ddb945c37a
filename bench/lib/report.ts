/** RESULTS.md from one run's per-round numbers: ratios to raw ws with their spread, targets, absolutes. */
import { cpus, totalmem } from 'node:os';
import { type ArmName, armInfo } from '../arms/index.ts';
import type { Config } from './config.ts';
import { deltas, type Round, ratios, type Spread, spread, values } from './stats.ts';
import { versions } from './versions.ts';

export interface Results {
  quick: boolean;
  date: string;
  minutes: number;
  pinned: boolean;
  /** wsgate was loaded from its TypeScript source (BENCH_SOURCE=1), not from the built dist/. */
  fromSource?: boolean;
  cfg: Config;
  arms: ArmName[];
  rounds: Round[];
  failures: string[];
  redis: string;
}

/** The CPU-per-operation metrics that get a ratio column, in table order. */
export const CPU_METRICS = [
  ['echo32.cpu', 'echo 32 B'],
  ['echo4k.cpu', 'echo 4 KiB'],
  ['hs.cpu', 'handshake+close'],
  ['hsAuth.cpu', 'handshake+close, auth hook'],
  ['crowd.fan1.cpu', 'fan-out, 1 publish/tick'],
  ['crowd.fan20.cpu', 'fan-out, 20 publishes/tick'],
  ['crowd.rooms.cpu', 'rooms of 10'],
  ['storm.cpu', 'reconnect storm'],
] as const;

const WSGATE: ArmName[] = ['core', 'express', 'fastify', 'koa'];

const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const cell = (s: Spread, d = 2) => (s.n ? `${f(s.median, d)} (${f(s.min, d)}–${f(s.max, d)})` : 'n/a');
const verdict = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'met' : '**missed**');

export function report(r: Results): string {
  const { rounds, cfg } = r;
  const arms = r.arms;
  const has = (a: ArmName) => arms.includes(a);
  const ratio = (m: string, a: ArmName, base: ArmName = 'raw') => spread(ratios(rounds, m, a, base));
  const abs = (m: string, a: ArmName) => spread(values(rounds, m, a));
  const v = versions();
  const n = cfg.crowd.connections;

  const lines: string[] = [];
  const out = (s = '') => lines.push(s);
  out(`# wsgate benchmark: wsgate against raw ws and the libraries users pick instead`);
  out();
  out(
    `${r.quick ? `\`--quick\` smoke run (small counts, one round, ${cfg.skip.join(' and ')} skipped: indicative only; the full run is \`pnpm bench\`).` : 'Full run (`pnpm bench`).'} ` +
      `${r.date}, ${f(r.minutes, 1)} min; Node ${process.version}; ${cpus().length}x ${cpus()[0]?.model ?? 'cpu'}, ` +
      `${f(totalmem() / 2 ** 30, 1)} GiB; shared machine. ${r.pinned ? 'Server pinned to CPU 0, load generator to CPU 1 (taskset).' : '**Not pinned** (no taskset).'}`,
  );
  out();
  out(
    `${r.fromSource ? 'wsgate loaded from its TypeScript source through tsx (BENCH_SOURCE=1).' : 'wsgate loaded from the built `dist/` (the JavaScript npm installs).'} ` +
      `Versions: ${Object.entries(v)
        .map(([k, x]) => `${k} ${x}`)
        .join(', ')}.`,
  );
  out();
  out(
    `${cfg.rounds} measured round(s)${cfg.warmupRounds ? ` after ${cfg.warmupRounds} warm-up round` : ''}; a fresh server and load generator per window; arm order rotated each round; ` +
      `every ratio is taken within a round against raw ws, then the median (min–max) over rounds is shown. ` +
      `**raw ws (noise arm)** is a second, identical raw ws server: its spread is the noise band.`,
  );
  out();
  out(
    '![Server CPU per operation, ratio to raw ws](chart.svg)'.replace(
      'chart.svg',
      r.quick ? 'chart.quick.svg' : 'chart.svg',
    ),
  );
  out();

  out('## Server CPU per operation, ratio to raw ws (lower is cheaper)');
  out();
  out(`| Arm | ${CPU_METRICS.map(([, l]) => l).join(' | ')} |`);
  out(`|---|${CPU_METRICS.map(() => '---:').join('|')}|`);
  out(`| raw ws: µs per op | ${CPU_METRICS.map(([m]) => `${f(abs(m, 'raw').median, 3)} µs`).join(' | ')} |`);
  for (const a of arms.filter((x) => x !== 'raw')) {
    const label = a === 'raw2' ? `**${armInfo(a).label}**` : armInfo(a).label;
    out(`| ${label} | ${CPU_METRICS.map(([m]) => cell(ratio(m, a))).join(' | ')} |`);
  }
  out();
  out(
    'Operations: an echoed message (in + out); a handshake and its close; a delivered fan-out or room message. ' +
      '@fastify/websocket and express-ws have no topics: their fan-out and rooms are the naive `for (ws of set) ws.send()` loop raw ws uses too.',
  );
  out();

  // Targets: issue #22's goals (ratios within a round against raw ws, median over rounds).
  const noise = (m: string) => ratio(m, 'raw2');
  const band = (m: string) => Math.max(1, noise(m).max);
  const ok = (s: Spread, pass: (x: number) => boolean) => (s.n ? pass(s.median) : undefined);
  const t: [string, string, string][] = [];
  for (const a of WSGATE.filter(has)) {
    const s = ratio('echo32.cpu', a);
    t.push([`echo 32 B, ${armInfo(a).label}: ≤ 1.03x`, cell(s), verdict(ok(s, (x) => x <= 1.03))]);
  }
  for (const a of WSGATE.filter(has)) {
    const s = ratio('echo4k.cpu', a);
    const b = band('echo4k.cpu');
    t.push([
      `echo 4 KiB, ${armInfo(a).label}: within the noise band (≤ ${f(b)}x)`,
      cell(s),
      verdict(ok(s, (x) => x <= b)),
    ]);
  }
  for (const [m, l] of [CPU_METRICS[2], CPU_METRICS[3]]) {
    for (const a of WSGATE.filter(has)) {
      const limit = a === 'core' ? 1.1 : 1.25;
      const s = ratio(m, a);
      t.push([`${l}, ${armInfo(a).label}: ≤ ${f(limit)}x`, cell(s), verdict(ok(s, (x) => x <= limit))]);
    }
    if (has('fastify') && has('fastify-websocket')) {
      const ours = ratio(m, 'fastify');
      const peer = ratio(m, 'fastify-websocket');
      const limit = peer.median + 0.05;
      t.push([
        `${l}, @wsgate/fastify: ≤ @fastify/websocket + 0.05 (≤ ${f(limit)}x)`,
        cell(ours),
        verdict(ours.n && peer.n ? ours.median <= limit : undefined),
      ]);
    }
  }
  for (const a of WSGATE.filter(has)) {
    const s = ratio('crowd.rooms.cpu', a);
    t.push([
      `rooms of 10, ${armInfo(a).label}: ≤ the naive loop (≤ 1.00x)`,
      cell(s),
      verdict(ok(s, (x) => x <= 1)),
    ]);
  }
  for (const a of WSGATE.filter(has)) {
    const s = abs('crowd.fan1.cpu', a);
    t.push([
      `fan-out 1 publish/tick to ${n}, ${armInfo(a).label}: ≤ 2.0 µs per delivered message`,
      `${cell(s, 3)} µs`,
      verdict(ok(s, (x) => x <= 2)),
    ]);
    for (const k of ['fan1', 'fan20']) {
      const loop = abs(`crowd.${k}.loop`, a);
      t.push([
        `fan-out ${k === 'fan1' ? '1 publish' : '20 publishes'}/tick, ${armInfo(a).label}: loop delay p99 ≤ 20 ms at ${n}`,
        `${cell(loop, 1)} ms`,
        verdict(ok(loop, (x) => x <= 20)),
      ]);
    }
  }
  for (const a of WSGATE.filter(has)) {
    const s = spread(deltas(rounds, 'crowd.bytes', a));
    t.push([
      `idle memory, ${armInfo(a).label}: ≤ raw ws + 512 B per connection`,
      `+${cell(s, 0)} B`,
      verdict(ok(s, (x) => x <= 512)),
    ]);
  }
  if (has('socketio')) {
    for (const [m, l, want] of [
      ['echo32.cpu', 'echo 32 B', 2],
      ['echo4k.cpu', 'echo 4 KiB', 2],
      ['crowd.fan1.cpu', 'fan-out delivery, 1/tick', 10],
      ['crowd.fan20.cpu', 'fan-out delivery, 20/tick', 10],
    ] as const) {
      const s = ratio(m, 'socketio', 'core');
      t.push([`socket.io / wsgate core, ${l}: ≥ ${want}x`, `${cell(s)}x`, verdict(ok(s, (x) => x >= want))]);
    }
  }
  out('## Targets');
  out();
  out('| Target | Measured: median (min–max) over rounds | |');
  out('|---|---:|---|');
  for (const [a, b, c] of t) out(`| ${a} | ${b} | ${c} |`);
  out();

  // Results from before the storm scenario have no `cfg.storm`.
  const st = cfg.storm as Config['storm'] | undefined;
  if (st && arms.some((a) => abs('storm.cpu', a).n > 0)) {
    out(
      `## Reconnect storm: ${st.connections} clients closed with 1012 spread over ${f(st.window / 1000, 0)} s, all coming back`,
    );
    out();
    out(
      'Medians over rounds. "Back after": from the first close until the last client is open again. "Failed attempts": reconnects refused or timed out (each backs off further).',
    );
    out();
    out(
      '| Arm | server CPU per reconnect | ratio to raw ws | all back after | loop delay p99 | failed attempts | client downtime p50 / p99 |',
    );
    out('|---|---:|---:|---:|---:|---:|---:|');
    for (const a of arms) {
      const m = (k: string, d = 0) => f(abs(k, a).median, d);
      out(
        `| ${armInfo(a).label} | ${m('storm.cpu')} µs | ${a === 'raw' ? '1' : cell(ratio('storm.cpu', a))} | ${m('storm.back', 2)} s | ${m('storm.loop', 1)} ms | ${m('storm.failures')} | ${m('storm.downP50')} / ${m('storm.downP99')} ms |`,
      );
    }
    out();
  }

  out('## Absolute numbers (medians over rounds)');
  out();
  out(
    `| Arm | echo 32 B msgs/s | echo 32 B client p50 / p99 | echo 4 KiB msgs/s | handshakes/s | handshake p50 / p99 | idle bytes/conn (${n}) | fan-out 1/tick loop p99 | fan-out 20/tick loop p99 | rooms loop p99 | slow consumers: peak held / published |`,
  );
  out('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const a of arms) {
    const m = (k: string, d = 0) => f(abs(k, a).median, d);
    out(
      `| ${armInfo(a).label} | ${m('echo32.rate')} | ${m('echo32.p50', 1)} / ${m('echo32.p99', 1)} ms | ${m('echo4k.rate')} | ${m('hs.rate')} | ${m('hs.p50', 1)} / ${m('hs.p99', 1)} ms | ${m('crowd.bytes')} B | ${m('crowd.fan1.loop', 1)} ms | ${m('crowd.fan20.loop', 1)} ms | ${m('crowd.rooms.loop', 1)} ms | ${m('slow.peakMiB', 1)} / ${m('slow.sentMiB')} MiB |`,
    );
  }
  out();
  out('## Setup');
  out();
  out(
    `- Every arm serves the same app: \`/echo\` echoes; \`/auth\` is the same behind the framework's auth hook (bearer token; core: \`authenticate\`, ` +
      'Express/express-ws: route middleware, Fastify/@fastify/websocket: route `onRequest`, Koa: route middleware, socket.io: `io.use`); ' +
      '`/rooms/:room` publishes each message to the room (sender included). A connection joins the fan-out topic, its room if any, and every other one an extra topic (1-3 topics).',
  );
  out(
    `- Echo: ${cfg.echo.connections} connections ping-pong, ${cfg.echo.messages} messages of 32 B / ${cfg.echo.messages4k} of 4 KiB after ${cfg.echo.warmup} warm-up. ` +
      `Handshake: ${cfg.handshake.total} open+close cycles, ${cfg.handshake.concurrency} at a time, after ${cfg.handshake.warmup} (V8 is still optimizing after a few hundred: with 300, 84-105 functions were compiled inside the measured phase and its instructions per handshake were 1.7x the steady state's).`,
  );
  out(
    `- The ${n}-connection window: memory (heap + external after forced GC, over the empty server) with every connection open and idle, then fan-out of 64 B to the ${n} topic ` +
      `(${cfg.crowd.fan1Ticks} turns of 1 publish, ${cfg.crowd.fan20Ticks} turns of 20), then ${cfg.crowd.roomWaves} waves of one 32 B message per connection to its room of 10. ` +
      'These share one server because opening 10k connections dominates a window.',
  );
  out(
    `- Slow consumers: ${cfg.slow.connections} connections stop reading; the server publishes ${cfg.slow.messages} x ${cfg.slow.size / 1024} KiB to them; "peak held" is the peak heap + external over the baseline, "published" counts each message once ` +
      '(ws 8 queues the same string for every member; ws 7, in express-ws, copies it per socket). ' +
      'wsgate closes a session over its `backpressure.limit` (4 MiB) with 1013; the others buffer everything.',
  );
  if (st)
    out(
      `- Reconnect storm: ${st.connections} connections on \`/echo\`; the server closes each once, spread evenly over ${st.window} ms (wsgate's \`drain\` schedule), ` +
        'with 1012 (socket.io: its engine connection closes, as `io.close()` does) and keeps serving; wsgate arms close their sessions this way rather than with `gate.close()`, which would refuse the reconnects. ' +
        "Clients reconnect after @wsgate/client's default backoff (random(0.5-1) x 500 ms x 2^attempt). CPU per reconnect covers the window from the first close until every client is back: closing handshakes, handshakes, topic joins.",
    );
  out(
    '- wsgate arms run the defaults (1 MiB maxPayload, no compression) except `limits.messages: false`, raised connection limits, and a heartbeat every 10 min (socket.io: its ping too), so that no round of pings lands inside a measured phase (at the 30 s default one sometimes did: 6 % of a rooms phase). ' +
      'Peers run with compression off and a 1 MiB maxPayload. socket.io: websocket transport only, events `42["m",...]`; its room broadcast frames once per packet but writes per socket. ' +
      `express-ws bundles ws ${v['ws (express-ws)']}, and its auth middleware runs after the upgrade (it can only close the socket, not answer 401).`,
  );
  out(
    '- Server CPU is `process.cpuUsage()` inside the server (user + system, all threads) around the measured phase only: valid even when the load generator is the bottleneck.',
  );
  out();
  out('## Redis broker: publish-to-delivery latency across two processes');
  out();
  out(r.redis.replace(/^### .*\n/m, ''));
  out();
  if (r.failures.length) {
    out('## Windows that failed (left out of the medians)');
    out();
    for (const x of r.failures) out(`- ${x}`);
    out();
  }
  return `${lines.join('\n')}\n`;
}
