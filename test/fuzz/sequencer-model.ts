import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HistoryReply } from '../../packages/core/src/broker.ts';
import type { Position, ResetInfo } from '../../packages/core/src/topics/positions.ts';
import { Sequencer } from '../../packages/core/src/topics/sequencer.ts';
import { fuzzParams } from './runs.ts';

/**
 * The model of per-node ordered delivery (topics/sequencer.ts): a history store with retention, a
 * network that drops, duplicates and reorders messages, reads answered at arbitrary moments, resyncs
 * (a broker reconnect) and lost histories (a Redis restarted empty). Whatever happens, the node delivers
 * each message at most once, in offset order, never skips an offset without a reset saying so, and ends
 * caught up; with ample retention and no loss it never resets at all.
 */

type Command =
  | { kind: 'publish' | 'resync' | 'lose' }
  | { kind: 'deliver' | 'drop' | 'dup' | 'answer'; at: number };

const at = fc.nat(1_000);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'publish' as const }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('deliver' as const), at }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), at }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dup' as const), at }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('answer' as const), at }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'resync' as const }) },
);

interface Flight {
  epoch: string;
  offset: number;
  label: string;
}

class Store {
  epoch = 'e0';
  offset = 0;
  entries: Flight[] = [];
  #epochs = 0;
  constructor(readonly size: number) {}

  append(label: string): Flight {
    const f = { epoch: this.epoch, offset: ++this.offset, label };
    this.entries.push(f);
    if (this.entries.length > this.size) this.entries.shift();
    return f;
  }
  lose(): void {
    this.epoch = `e${++this.#epochs}`;
    this.offset = 0;
    this.entries = [];
  }
  read(after: number | undefined, limit: number): HistoryReply {
    const from = after ?? 0;
    const messages = this.entries
      .filter((e) => e.offset > from)
      .slice(0, limit)
      .map((e) => ({ offset: e.offset, data: e.label, binary: false }));
    return { epoch: this.epoch, offset: this.offset, messages };
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

async function run(
  commands: Command[],
  size: number,
  tailLost: boolean,
): Promise<{ resets: ResetInfo[]; losses: number }> {
  const store = new Store(size);
  const network: Flight[] = [];
  const reads: Array<() => void> = [];
  const published = new Map<string, string>();
  const events: Array<{ reset: ResetInfo } | { position: Position; label: string }> = [];
  const errors: unknown[] = [];
  const seq = new Sequencer({
    read: (after, limit) => new Promise((resolve) => reads.push(() => resolve(store.read(after, limit)))),
    deliver: (entry, position) => events.push({ position, label: String(entry.payload) }),
    reset: (info) => events.push({ reset: info }),
    onError: (err) => errors.push(err),
    page: 3, // small pages, so a gap takes several reads
  });
  const started = seq.start();
  reads.shift()!();
  await started;
  let losses = 0;
  let n = 0;
  const publish = () => {
    const f = store.append(`m${++n}`);
    published.set(`${f.epoch}/${f.offset}`, f.label);
    network.push(f);
  };
  const receive = (f: Flight) => seq.receive(f, { offset: f.offset, payload: f.label, binary: false });
  for (const c of commands) {
    if (c.kind === 'publish') publish();
    else if (c.kind === 'resync') seq.resync();
    else if (c.kind === 'lose') {
      store.lose();
      losses++;
    } else if (c.kind === 'answer') {
      if (reads.length > 0) reads.splice(c.at % reads.length, 1)[0]!();
    } else if (network.length > 0 && 'at' in c) {
      const i = c.at % network.length;
      const f = network[i]!;
      if (c.kind !== 'dup') network.splice(i, 1);
      if (c.kind !== 'drop') receive(f);
    }
    await settle();
  }
  // Quiesce: everything still in flight arrives (or is lost, as a killed subscriber loses it), reads are
  // answered, then a resync (the reconnect) catches up.
  for (const f of network.splice(0)) if (!tailLost) receive(f);
  for (let round = 0; round < 50 && reads.length > 0; round++) {
    reads.shift()!();
    await settle();
  }
  seq.resync();
  for (let round = 0; round < 50; round++) {
    await settle();
    if (reads.length === 0) break;
    reads.shift()!();
  }
  expect(errors).toEqual([]);
  expect(reads).toEqual([]);

  // The checks: each delivery is the next offset of the epoch followed, or comes right after a reset.
  let cursor: Position = { epoch: 'e0', offset: 0 };
  const resets: ResetInfo[] = [];
  for (const e of events) {
    if ('reset' in e) {
      expect(e.reset.offset).toBeGreaterThanOrEqual(e.reset.epoch === cursor.epoch ? cursor.offset : 0);
      cursor = { epoch: e.reset.epoch, offset: e.reset.offset };
      resets.push(e.reset);
      continue;
    }
    expect(e.position).toEqual({ epoch: cursor.epoch, offset: cursor.offset + 1 });
    expect(e.label).toBe(published.get(`${e.position.epoch}/${e.position.offset}`));
    cursor = e.position;
  }
  // Caught up with the store (or with what it kept).
  expect(cursor).toEqual({ epoch: store.epoch, offset: store.offset });
  expect(seq.position).toEqual(cursor);
  return { resets, losses };
}

export function sequencerProperties(): void {
  describe('ordered delivery of a topic with history (model)', () => {
    it('no loss, ample retention: every message once, in order, no reset', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { maxLength: 80 }), fc.boolean(), async (commands, tailLost) => {
          const { resets } = await run(commands, 1_000, tailLost);
          expect(resets).toEqual([]);
        }),
        fuzzParams(),
      );
    });

    it('small retention and lost histories: never a silent gap, always caught up', async () => {
      const withLoss = fc.oneof(
        { weight: 12, arbitrary: command },
        { weight: 1, arbitrary: fc.constant({ kind: 'lose' as const }) },
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(withLoss, { maxLength: 80 }),
          fc.integer({ min: 1, max: 6 }),
          fc.boolean(),
          async (c, size, tailLost) => {
            await run(c, size, tailLost);
          },
        ),
        fuzzParams(),
      );
    });
  });
}
