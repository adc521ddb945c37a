import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadTargets } from './targets.ts';

// Needs root (or user namespaces) and iproute2; CI runs as root. Where it cannot run, the raw-socket
// half-open test in the fault conformance suite still covers the heartbeat.
const netns = spawnSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' }).status === 0;
const names = (await loadTargets()).map((f) => f.target.name);

describe('half-open peer in a network namespace', () => {
  it.skipIf(!netns)(
    'packets dropped without FIN or RST: the heartbeat reaps the session while the client still thinks it is open',
    () => {
      const run = spawnSync(
        'unshare',
        [
          '-n',
          process.execPath,
          '--conditions=@wsgate/source',
          '--import',
          'tsx',
          'test/fixtures/faults-half-open.ts',
        ],
        { encoding: 'utf8', timeout: 90_000, killSignal: 'SIGKILL' },
      );
      expect(run.status, run.stderr).toBe(0);
      const results = run.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(results.map((r) => r.name).sort()).toEqual([...names].sort());
      for (const r of results) {
        expect(r, r.name).toMatchObject({
          echo: 'hello',
          code: 1006,
          // The client was never told: a true half-open connection.
          clientState: 1,
          counters: { pending: 0, perIp: 0, sessions: 0, topics: 0 },
        });
        // Found by the heartbeat (150 ms ping, 150 ms to answer), not by an immediate socket error.
        expect(r.reapedMs, r.name).toBeGreaterThanOrEqual(100);
        expect(r.reapedMs, r.name).toBeLessThan(2_000);
      }
    },
    120_000,
  );
});
