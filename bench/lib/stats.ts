/** Per-round results and the statistics the report takes from them. */
import type { ArmName } from '../arms/index.ts';

/** One round: metric key (`echo32.cpu`, `crowd.bytes`, ...) -> arm -> value. */
export type Round = Record<string, Partial<Record<ArmName, number>>>;

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(values: readonly number[]): Spread {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v.at(-1)!, n: v.length };
}

/** The metric's values for an arm, one per round that has it. */
export function values(rounds: readonly Round[], metric: string, arm: ArmName): number[] {
  return rounds.map((r) => r[metric]?.[arm]).filter((x): x is number => x !== undefined);
}

/** Pairs (arm, base) of a metric taken within each round, for rounds that have both. */
function paired(
  rounds: readonly Round[],
  metric: string,
  arm: ArmName,
  base: ArmName,
): Array<[number, number]> {
  return rounds.flatMap((r) => {
    const a = r[metric]?.[arm];
    const b = r[metric]?.[base];
    return a !== undefined && b !== undefined ? [[a, b] as [number, number]] : [];
  });
}

/** Ratios taken within each round (so a noisy minute moves both sides), arm / base. */
export function ratios(
  rounds: readonly Round[],
  metric: string,
  arm: ArmName,
  base: ArmName = 'raw',
): number[] {
  return paired(rounds, metric, arm, base)
    .filter(([, b]) => b > 0)
    .map(([a, b]) => a / b);
}

/** Differences taken within each round, arm - base. */
export function deltas(
  rounds: readonly Round[],
  metric: string,
  arm: ArmName,
  base: ArmName = 'raw',
): number[] {
  return paired(rounds, metric, arm, base).map(([a, b]) => a - b);
}
