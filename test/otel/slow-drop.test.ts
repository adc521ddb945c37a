/** With `backpressure.policy: 'drop'`, every message dropped for a slow consumer is counted as action=drop. */
import { instrument } from '@wsgate/core/otel';
import { expect, it } from 'vitest';
import { nextMessage, openClient, until } from '../support/ws.ts';
import { coreTarget } from '../targets/core.ts';
import { telemetry } from './support.ts';

it('counts dropped messages under wsgate.slow_consumer.action=drop, and the session stays open', async () => {
  const t = await coreTarget.start(
    { backpressure: { highWaterMark: 16 * 1024, limit: 256 * 1024, policy: 'drop' } },
    [
      {
        // A synchronous loop the client cannot read during: past the kernel's buffers and the limit, sends
        // are dropped. Bounded: 1024 x 64 KiB.
        path: '/flood',
        handler: (s) =>
          s.on('message', () => {
            const chunk = Buffer.alloc(64 * 1024, 1);
            for (let i = 0; i < 1024; i++) s.send(chunk);
            // Sent now it would be dropped too: once the client has read the backlog.
            s.once('drain', () => s.send('done'));
          }),
      },
    ],
  );
  const otel = telemetry();
  const off = instrument(t.gate, { meterProvider: otel.meterProvider, tracerProvider: otel.tracerProvider });
  try {
    const ws = await openClient(`${t.wsUrl}/flood`);
    ws.send('go');
    await until(() => t.gate.stats().slowConsumers.dropped > 0, 'a drop');
    const dropped = t.gate.stats().slowConsumers.dropped;
    expect(await otel.value('wsgate.server.slow_consumers', { 'wsgate.slow_consumer.action': 'drop' })).toBe(
      dropped,
    );
    expect(await otel.value('wsgate.server.slow_consumers', { 'wsgate.slow_consumer.action': 'close' })).toBe(
      0,
    );
    // What was not dropped arrives; the session was never closed.
    let last: unknown;
    for (let i = 0; i < 1025 && last !== 'done'; i++) last = await nextMessage(ws);
    expect(last).toBe('done');
    ws.close();
  } finally {
    off();
    await t.close();
    await otel.shutdown();
  }
});
