/** Handshake + close cycles, 50 at a time; with `auth`, through the arm's auth hook (bearer token). */
import { TOKEN } from '../arms/common.ts';
import type { ArmInfo } from '../arms/index.ts';
import type { Config } from '../lib/config.ts';
import { withWindow } from '../lib/window.ts';

export function handshake(arm: ArmInfo, cfg: Config, auth: boolean): Promise<Record<string, number>> {
  const { total, concurrency, warmup } = cfg.handshake;
  return withWindow(arm, async (w) => {
    const target = auth ? w.target('auth', { authorization: TOKEN }) : w.target('echo');
    await w.clients.call('handshakes', { target, n: warmup, concurrency });
    const { value, m } = await w.measured(() =>
      w.clients.call<{ ms: number; p50: number; p99: number }>('handshakes', {
        target,
        n: total,
        concurrency,
      }),
    );
    return {
      cpu: m.cpuMicros / total,
      sys: m.sysMicros / total,
      gcMajor: m.gc.major,
      gcMs: m.gc.ms,
      ...(m.instructions !== undefined ? { ir: m.instructions / total } : {}),
      rate: total / (value.ms / 1000),
      p50: value.p50,
      p99: value.p99,
      loop: m.loopP99,
    };
  });
}
