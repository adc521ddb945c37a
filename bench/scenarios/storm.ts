/**
 * Reconnect storm: N connected clients; the server closes every connection with 1012 spread over a window
 * (a rolling restart's drain) and keeps serving; each client reconnects with jittered exponential backoff.
 * Server CPU per reconnect (the closes, the handshakes, the topic joins and whatever the storm costs the
 * event loop), the time from the first close until every client is back, and the loop delay p99 meanwhile.
 */
import type { ArmInfo } from '../arms/index.ts';
import type { Config } from '../lib/config.ts';
import { withWindow } from '../lib/window.ts';

export function storm(arm: ArmInfo, cfg: Config): Promise<Record<string, number>> {
  const { connections: n, window } = cfg.storm;
  return withWindow(arm, async (w) => {
    const target = w.target('echo');
    await w.clients.call('connect', { target, n, concurrency: 200 }, 300_000);
    const open = await w.server.call<number>('count');
    if (open !== n) throw new Error(`${open} of ${n} connections open`);
    await w.clients.call('storm', { target });
    const { value, m } = await w.measured(async () => {
      const { at, closing } = await w.server.call<{ at: number; closing: number }>('restart', { window });
      if (closing !== n) throw new Error(`the restart closes ${closing} of ${n} connections`);
      const back = await w.clients.call<{ lastBackAt: number; failures: number; p50: number; p99: number }>(
        'stormDone',
        undefined,
        window + 300_000,
      );
      return { ...back, ms: back.lastBackAt - at };
    });
    const after = await w.server.call<number>('count');
    if (after !== n) throw new Error(`${after} of ${n} connections open after the storm`);
    return {
      cpu: m.cpuMicros / n,
      ...(m.instructions !== undefined ? { ir: m.instructions / n } : {}),
      back: value.ms / 1000,
      loop: m.loopP99,
      failures: value.failures,
      downP50: value.p50,
      downP99: value.p99,
    };
  });
}
