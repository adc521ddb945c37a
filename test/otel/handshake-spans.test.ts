/**
 * Handshake spans beyond the common path: the parent comes from the request's `traceparent`, a 5xx is an
 * error (a 4xx is not: otel.test.ts), and a client that leaves mid-handshake ends its span as `abandoned`.
 */
import { propagation, SpanStatusCode } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { silentLogger } from '@wsgate/core';
import { instrument } from '@wsgate/core/otel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceRoute } from '../conformance/target.ts';
import { nextMessage, openClient, WebSocket } from '../support/ws.ts';
import { coreTarget } from '../targets/core.ts';
import { express5Target } from '../targets/express.ts';
import { fastifyTarget } from '../targets/fastify.ts';
import { type Telemetry, telemetry } from './support.ts';

beforeAll(() => {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(() => {
  propagation.disable();
});

/** Waits (bounded, on event-loop turns) until an async check holds. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (await check()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.each([coreTarget, express5Target, fastifyTarget])('$name: handshake spans', (target) => {
  it('continue the trace in traceparent, mark a 5xx as an error, and end as abandoned when the client leaves', async () => {
    let authenticating: () => void = () => {};
    const waiting = new Promise<void>((resolve) => {
      authenticating = resolve;
    });
    const routes: ConformanceRoute[] = [
      { path: '/echo', handler: (s) => s.on('message', (m) => s.send(m)) },
      {
        path: '/broken',
        options: {
          authenticate: () => {
            throw new Error('the user store is down');
          },
        },
        handler: () => {},
      },
      {
        path: '/forever',
        options: {
          authenticate: () => {
            authenticating();
            return new Promise<undefined>(() => {});
          },
        },
        handler: () => {},
      },
    ];
    const otel: Telemetry = telemetry();
    const t = await target.start({ logger: silentLogger, onError: () => {} }, routes);
    const uninstrument = instrument(t.gate, {
      meterProvider: otel.meterProvider,
      tracerProvider: otel.tracerProvider,
    });
    try {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const parentId = '00f067aa0ba902b7';
      const ws = await openClient(`${t.wsUrl}/echo`, {
        headers: { traceparent: `00-${traceId}-${parentId}-01` },
      });
      ws.send('hi');
      expect(await nextMessage(ws)).toBe('hi');
      ws.close();

      await expect(openClient(`${t.wsUrl}/broken`)).rejects.toMatchObject({ status: 500 });
      await expect(openClient(`${t.wsUrl}/nowhere?token=x`)).rejects.toMatchObject({ status: 404 });

      const leaving = new WebSocket(`${t.wsUrl}/forever`);
      leaving.on('error', () => {}); // terminate() before open reports an error on the client
      await waiting;
      leaving.terminate();
      await eventually(
        async () =>
          (await otel.value('wsgate.server.handshakes', { 'wsgate.handshake.outcome': 'abandoned' })) === 1,
        'the abandoned handshake',
      );

      const spans = await otel.spans();
      expect(spans).toHaveLength(4);
      // No route matched: the span keeps the method alone as its name, and has no http.route.
      const unrouted = spans.find((s) => s.attributes['http.response.status_code'] === 404)!;
      expect(unrouted.name).toBe('GET');
      expect(unrouted.attributes['http.route']).toBeUndefined();
      expect(unrouted.attributes['url.path']).toBe('/nowhere');
      const echo = spans.find((s) => s.name === 'GET /echo')!;
      expect(echo.spanContext().traceId).toBe(traceId);
      expect(echo.parentSpanContext?.spanId).toBe(parentId);
      expect(echo.status.code).toBe(SpanStatusCode.UNSET);

      const broken = spans.find((s) => s.name === 'GET /broken')!;
      expect(broken.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': '500' });
      expect(broken.status.code).toBe(SpanStatusCode.ERROR);
      expect(broken.parentSpanContext).toBeUndefined();
      expect(
        await otel.value('wsgate.server.handshakes', {
          'http.response.status_code': 500,
          'error.type': '500',
        }),
      ).toBe(1);

      const abandoned = spans.find((s) => s.name === 'GET /forever')!;
      expect(abandoned.attributes['wsgate.handshake.outcome']).toBe('abandoned');
      expect(abandoned.attributes['http.response.status_code']).toBeUndefined();
      expect(abandoned.status.code).toBe(SpanStatusCode.UNSET);
    } finally {
      uninstrument();
      await t.close();
      await otel.shutdown();
    }
  });
});
