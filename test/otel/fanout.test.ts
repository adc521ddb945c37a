/**
 * The fan-out histogram counts what each node wrote: a message published on one node is recorded there for
 * its local members and, through the broker, on the other node for its own; a publish that reaches no local
 * session records nothing.
 */
import { memoryBroker, memoryBus } from '@wsgate/core';
import { instrument } from '@wsgate/core/otel';
import { expect, it } from 'vitest';
import type { ConformanceRoute } from '../conformance/target.ts';
import { nextMessage, openClient } from '../support/ws.ts';
import { coreTarget } from '../targets/core.ts';
import { telemetry } from './support.ts';

const room: ConformanceRoute = {
  path: '/room',
  handler: (s) => {
    s.subscribe('room:1');
    s.send('joined');
  },
};

it('records each node’s local fan-out, for a message from the broker too; nothing for no local member', async () => {
  const bus = memoryBus();
  const [n1, n2] = [
    await coreTarget.start({ broker: memoryBroker({ bus }) }, [room]),
    await coreTarget.start({ broker: memoryBroker({ bus }) }, [room]),
  ];
  const [o1, o2] = [telemetry(), telemetry()];
  const off = [
    instrument(n1.gate, { meterProvider: o1.meterProvider, tracerProvider: o1.tracerProvider }),
    instrument(n2.gate, { meterProvider: o2.meterProvider, tracerProvider: o2.tracerProvider }),
  ];
  try {
    n1.gate.publish('room:1', 'nobody here yet');
    const members = [
      await openClient(`${n1.wsUrl}/room`),
      await openClient(`${n2.wsUrl}/room`),
      await openClient(`${n2.wsUrl}/room`),
      await openClient(`${n2.wsUrl}/room`),
    ];
    for (const ws of members) expect(await nextMessage(ws)).toBe('joined');
    n1.gate.publish('room:1', 'hello');
    for (const ws of members) expect(await nextMessage(ws)).toBe('hello');
    const [p1] = await o1.points('wsgate.server.publish.fanout');
    const [p2] = await o2.points('wsgate.server.publish.fanout');
    expect(p1!.value).toMatchObject({ count: 1, sum: 1 });
    expect(p2!.value).toMatchObject({ count: 1, sum: 3 });
    // No topic attribute without a topicTemplate.
    expect(p1!.attributes).toEqual({ 'messaging.system': 'wsgate', 'messaging.operation.type': 'send' });
    for (const ws of members) ws.close();
  } finally {
    for (const f of off) f();
    await n1.close();
    await n2.close();
    await o1.shutdown();
    await o2.shutdown();
  }
});
