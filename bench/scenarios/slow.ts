/**
 * Slow consumers: connections that stop reading while the server publishes far more than the kernel
 * buffers hold. What the server keeps for them (peak heap + external over the baseline) is the metric:
 * bounded for wsgate (its backpressure limit), unbounded for a naive send loop.
 */
import { FAN } from '../arms/common.ts';
import type { ArmInfo } from '../arms/index.ts';
import type { Config } from '../lib/config.ts';
import { withWindow } from '../lib/window.ts';

export function slow(arm: ArmInfo, cfg: Config): Promise<Record<string, number>> {
  const { connections, messages, size } = cfg.slow;
  return withWindow(arm, async (w) => {
    await w.clients.call('connect', { target: w.target('echo'), n: connections, concurrency: connections });
    await w.clients.call('pause');
    const base = await w.server.call<{ heap: number; external: number }>('memory');
    const r = await w.server.call<{ peak: number }>('flood', { topic: FAN, messages, size, perTick: 8 });
    const mib = 2 ** 20;
    return {
      peakMiB: (r.peak - base.heap - base.external) / mib,
      // Published once to the topic; a naive loop shares each string among its members' write queues.
      sentMiB: (messages * size) / mib,
    };
  });
}
