/** Counts and sizes for the full run and for `--quick` (the CI smoke test, well under 2 minutes). */
export interface Config {
  quick: boolean;
  /** Measured rounds, after `warmupRounds` discarded ones; arm order rotates each round. */
  rounds: number;
  warmupRounds: number;
  echo: { connections: number; messages: number; messages4k: number; warmup: number };
  handshake: { total: number; concurrency: number; warmup: number };
  /** The 10k window: idle memory, then fan-out, then rooms of 10, on the same connections. */
  crowd: { connections: number; fan1Ticks: number; fan20Ticks: number; roomWaves: number };
  slow: { connections: number; messages: number; size: number };
  /** Reconnect storm: `connections` clients, closed with 1012 spread over `window` ms, come back. */
  storm: { connections: number; window: number };
  redisSeconds: number;
  /** Scenarios left out (quick: the ones whose code path another scenario already runs). */
  skip: string[];
}

export function config(quick: boolean): Config {
  return quick
    ? {
        quick,
        rounds: 1,
        warmupRounds: 0,
        echo: { connections: 200, messages: 10_000, messages4k: 5_000, warmup: 2_000 },
        handshake: { total: 300, concurrency: 50, warmup: 1_000 },
        crowd: { connections: 1_000, fan1Ticks: 5, fan20Ticks: 1, roomWaves: 1 },
        slow: { connections: 4, messages: 512, size: 64 * 1024 },
        storm: { connections: 1_000, window: 1_000 },
        redisSeconds: 2,
        skip: ['echo4k', 'hs'],
      }
    : {
        quick,
        rounds: 5,
        warmupRounds: 1,
        echo: { connections: 1_000, messages: 50_000, messages4k: 20_000, warmup: 10_000 },
        handshake: { total: 1_500, concurrency: 50, warmup: 5_000 },
        crowd: { connections: 10_000, fan1Ticks: 10, fan20Ticks: 1, roomWaves: 2 },
        slow: { connections: 10, messages: 1024, size: 64 * 1024 },
        storm: { connections: 10_000, window: 5_000 },
        redisSeconds: 5,
        skip: [],
      };
}
