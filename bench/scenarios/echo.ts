/** Echo ping-pong: every connection sends, waits for its echo, repeats. Server CPU per message. */
import type { ArmInfo } from '../arms/index.ts';
import type { Config } from '../lib/config.ts';
import { withWindow } from '../lib/window.ts';

export function echo(arm: ArmInfo, cfg: Config, size: number): Promise<Record<string, number>> {
  const messages = size > 1024 ? cfg.echo.messages4k : cfg.echo.messages;
  return withWindow(arm, async (w) => {
    await w.clients.call('connect', { target: w.target('echo'), n: cfg.echo.connections, concurrency: 100 });
    // Warm up the JIT on both sides before measuring.
    await w.clients.call('echo', { proto: arm.proto, messages: cfg.echo.warmup, size });
    const { value, m } = await w.measured(() =>
      w.clients.call<{ ms: number; p50: number; p99: number }>('echo', { proto: arm.proto, messages, size }),
    );
    return {
      cpu: m.cpuMicros / messages,
      sys: m.sysMicros / messages,
      gcMajor: m.gc.major,
      gcMs: m.gc.ms,
      ...(m.instructions !== undefined ? { ir: m.instructions / messages } : {}),
      rate: messages / (value.ms / 1000),
      p50: value.p50,
      p99: value.p99,
      loop: m.loopP99,
    };
  });
}
