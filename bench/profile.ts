/**
 * Summarises V8 CPU profiles (`.cpuprofile`, e.g. from BENCH_CPU_PROF): where the time goes, by function
 * (self and inclusive, recursion counted once) and by owner (wsgate's own packages, each framework, ws,
 * Node's internals, GC). Several files are added up, so rounds can be pooled.
 *   node bench/profile.ts [--top=30] [--ops=N] [--match=regexp] a.cpuprofile [b.cpuprofile ...]
 * `--ops` (operations in all the files together) adds µs per operation; `--match` adds the callers and
 * callees of the functions whose name or file matches.
 */
import { readFileSync } from 'node:fs';

interface Frame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: Frame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const argv = process.argv.slice(2);
const top = Number(argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 30);
const matchArg = argv.find((a) => a.startsWith('--match='))?.slice(8);
const match = matchArg ? new RegExp(matchArg) : undefined;
const ops = Number(argv.find((a) => a.startsWith('--ops='))?.slice(6) ?? 0);
const files = argv.filter((a) => !a.startsWith('--'));
process.stdout.on('error', () => {}); // piped into head

/** Who a frame belongs to: a package of ours, a dependency, Node itself, or V8's own entries. */
export function owner(f: Frame): string {
  const url = f.url;
  if (!url) return f.functionName.startsWith('(') ? f.functionName : '(native)';
  const ours = /packages\/([^/]+)\/(?:src|dist)\/(.*)$/.exec(url);
  if (ours) return `@wsgate/${ours[1]}`;
  const dep = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (dep) return dep[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  if (url.includes('/bench/')) return 'bench';
  return url;
}

function label(f: Frame): string {
  const url = f.url
    .replace(/^.*\/(packages|node_modules)\//, '$1/')
    .replace(/^.*\/\.pnpm\/[^/]+\/node_modules\//, '');
  return `${f.functionName || '(anonymous)'} ${url ? `${url}:${f.lineNumber + 1}` : ''}`.trim();
}

const self = new Map<string, number>();
const total = new Map<string, number>();
const ownerSelf = new Map<string, number>();
const ownerTotal = new Map<string, number>();
const callers = new Map<string, Map<string, number>>();
const callees = new Map<string, Map<string, number>>();
let all = 0;
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  // A sample's weight is the time until the next sample.
  p.samples.forEach((id, i) => {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000; // ms
    if (dt <= 0) return;
    all += dt;
    const leaf = byId.get(id)!;
    add(self, label(leaf.callFrame), dt);
    add(ownerSelf, owner(leaf.callFrame), dt);
    const seen = new Set<string>();
    const seenOwner = new Set<string>();
    let prev: string | undefined;
    for (let n: ProfileNode | undefined = leaf; n; n = byId.get(parent.get(n.id) ?? -1)) {
      const l = label(n.callFrame);
      if (!seen.has(l)) {
        seen.add(l);
        add(total, l, dt);
      }
      const o = owner(n.callFrame);
      if (!seenOwner.has(o)) {
        seenOwner.add(o);
        add(ownerTotal, o, dt);
      }
      if (match && prev !== undefined) {
        if (match.test(prev)) add(callers.get(prev) ?? callers.set(prev, new Map()).get(prev)!, l, dt);
        if (match.test(l)) add(callees.get(l) ?? callees.set(l, new Map()).get(l)!, prev, dt);
      }
      prev = l;
    }
  });
}

const busy = all - (ownerSelf.get('(idle)') ?? 0);
const pct = (v: number) => `${((100 * v) / busy).toFixed(1).padStart(5)} %`;
const perOp = (v: number) => (ops ? `${((v * 1000) / ops).toFixed(2).padStart(8)} µs/op ` : '');
const table = (title: string, m: Map<string, number>, n = top) => {
  console.log(`\n## ${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n))
    console.log(`${pct(v)} ${v.toFixed(1).padStart(9)} ms ${perOp(v)} ${k}`);
};
console.log(
  `${files.length} profile(s), ${all.toFixed(0)} ms sampled, ${busy.toFixed(0)} ms not idle ${perOp(busy)}(percentages of that)`,
);
table('self time by owner', ownerSelf);
table('inclusive time by owner (a stack counts once per owner)', ownerTotal);
table('self time by function', self);
table('inclusive time by function', total);
if (match) {
  for (const [k, m] of callers) table(`callers of ${k}`, m, 10);
  for (const [k, m] of callees) table(`callees of ${k}`, m, 15);
}
