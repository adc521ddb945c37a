/**
 * The 10k window, on one server and one set of connections (opening 10k is the expensive part):
 *   idle memory per connection (each in its room, the fan-out topic and for half one more topic),
 *   fan-out to the 10k topic at 1 and at 20 publishes per event-loop turn,
 *   1000 rooms of 10 (every connection sends one message per wave, delivered to its 10 members).
 */
import { FAN } from '../arms/common.ts';
import type { ArmInfo } from '../arms/index.ts';
import type { Config } from '../lib/config.ts';
import { withWindow } from '../lib/window.ts';

type Memory = { heap: number; external: number };

export function crowd(
  arm: ArmInfo,
  cfg: Config,
  log: (...a: unknown[]) => void,
): Promise<Record<string, number>> {
  const n = cfg.crowd.connections;
  return withWindow(arm, async (w) => {
    const before = await w.server.call<Memory>('memory');
    await w.clients.call('connect', { target: w.target('room'), n, concurrency: 200 }, 300_000);
    const open = await w.server.call<number>('count');
    if (open !== n) throw new Error(`${open} of ${n} connections open`);
    const after = await w.server.call<Memory>('memory');
    const out: Record<string, number> = {
      bytes: (after.heap + after.external - before.heap - before.external) / n,
    };

    for (const [perTick, ticks] of [
      [1, cfg.crowd.fan1Ticks],
      [20, cfg.crowd.fan20Ticks],
    ] as const) {
      const burst = async (t: number) => {
        await w.clients.call('arm', { total: t * perTick * n });
        await w.server.call('fanout', { topic: FAN, ticks: t, perTick, size: 64 });
        return w.clients.call<number>('wait', undefined, 300_000);
      };
      if (perTick === 1) await burst(1); // warm-up (the 20/tick run comes after it, warm)
      const { value: ms, m } = await w.measured(() => burst(ticks));
      const delivered = ticks * perTick * n;
      out[`fan${perTick}.cpu`] = m.cpuMicros / delivered;
      if (m.instructions !== undefined) out[`fan${perTick}.ir`] = m.instructions / delivered;
      out[`fan${perTick}.rate`] = delivered / (ms / 1000);
      out[`fan${perTick}.loop`] = m.loopP99;
    }

    await w.clients.call('rooms', { proto: arm.proto, waves: 1, size: 32 }, 300_000); // warm-up
    const waves = cfg.crowd.roomWaves;
    const { value: ms, m } = await w.measured(() =>
      w.clients.call<number>('rooms', { proto: arm.proto, waves, size: 32 }, 300_000),
    );
    const delivered = waves * n * 10;
    out['rooms.cpu'] = m.cpuMicros / delivered;
    if (m.instructions !== undefined) out['rooms.ir'] = m.instructions / delivered;
    out['rooms.rate'] = delivered / (ms / 1000);
    out['rooms.loop'] = m.loopP99;
    log(arm.name, 'crowd', out);
    return out;
  });
}
