/**
 * `@wsgate/core/otel` with the OpenTelemetry SDK's in-memory exporters, through core alone and every
 * adapter: real handshakes (accepted, 401, 403), messages both ways, a publish fan-out and a slow consumer
 * closed with 1013 show up as metrics and handshake spans, and no token from a query reaches any of them.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { instrument } from '@wsgate/core/otel';
import Koa from 'koa';
import Koa2 from 'koa2';
import { describe, expect, it } from 'vitest';
import type { ConformanceRoute, ConformanceTarget } from '../conformance/target.ts';
import { closed, nextMessage, openClient, until } from '../support/ws.ts';
import { coreTarget } from '../targets/core.ts';
import { express4Target, express5Target } from '../targets/express.ts';
import { fastifyTarget } from '../targets/fastify.ts';
import { koaTarget } from '../targets/koa.ts';
import { telemetry } from './support.ts';

const targets: ConformanceTarget[] = [
  coreTarget,
  express5Target,
  express4Target,
  fastifyTarget,
  koaTarget('koa 3 (app.ws)', Koa, 'app.ws'),
  koaTarget('koa 2 (app.ws)', Koa2, 'app.ws'),
  koaTarget('koa 3 (@koa/router + ctx.ws)', Koa, 'router'),
];

const routes: ConformanceRoute[] = [
  { path: '/echo/:room', handler: (s) => s.on('message', (m) => s.send(m)) },
  {
    path: '/private',
    options: { authenticate: (req) => (req.headers['x-token'] === 'letmein' ? { id: 1 } : undefined) },
    handler: (s) => s.send('hi'),
  },
  { path: '/strict', options: { origins: ['http://allowed.example'] }, handler: (s) => s.send('hi') },
  {
    path: '/room/:name',
    handler: (s) => {
      const topic = `room:${s.params.name}`;
      s.subscribe(topic);
      s.on('message', (m) => s.publish(topic, m));
      s.send('joined');
    },
  },
  {
    // Writes until the backpressure limit closes the session (the client does not read meanwhile: the loop
    // is synchronous). Bounded: 64 MiB at most, far above the kernel's buffers plus the limit.
    path: '/flood',
    handler: (s) =>
      s.on('message', () => {
        const chunk = Buffer.alloc(64 * 1024, 1);
        for (let i = 0; i < 1024 && s.readyState === 1; i++) s.send(chunk);
      }),
  },
];

const HANDSHAKES = 'wsgate.server.handshakes';

describe.each(targets)('$name: OpenTelemetry', (target) => {
  it('records handshakes (101, 401, 403) with spans, messages, fan-out and a slow consumer; no token leaks', async () => {
    const otel = telemetry();
    const t = await target.start({ backpressure: { highWaterMark: 16 * 1024, limit: 256 * 1024 } }, routes);
    const uninstrument = instrument(t.gate, {
      meterProvider: otel.meterProvider,
      tracerProvider: otel.tracerProvider,
      topicTemplate: (topic) => topic.replace(/:.*$/, ':*'),
    });
    try {
      // An accepted handshake, then a text and a binary message each way.
      const echo = await openClient(`${t.wsUrl}/echo/lobby?token=SECRET-A&room=x`, {
        headers: { 'user-agent': 'otel-test' },
      });
      expect(await otel.value('wsgate.server.active_connections')).toBe(1);
      echo.send('hello');
      expect(await nextMessage(echo)).toBe('hello');
      echo.send(Buffer.from([1, 2, 3]));
      expect(await nextMessage(echo)).toEqual(Buffer.from([1, 2, 3]));
      const io = { 'network.io.direction': 'receive' };
      const out = { 'network.io.direction': 'transmit' };
      expect(await otel.value('wsgate.server.messages', io)).toBe(2);
      expect(await otel.value('wsgate.server.messages', out)).toBe(2);
      expect(await otel.value('wsgate.server.message.bytes', io)).toBe(8);
      expect(await otel.value('wsgate.server.message.bytes', out)).toBe(8);
      echo.close(1000);
      await until(() => t.gate.stats().open === 0, 'the echo session to close');
      expect(await otel.value('wsgate.server.active_connections')).toBe(0);
      expect(
        await otel.count('wsgate.server.connection.duration', {
          'http.route': '/echo/:room',
          'wsgate.close.code': 1000,
        }),
      ).toBe(1);

      // Refusals after the route is known: 401 from authenticate, 403 from the route's Origin policy.
      await expect(openClient(`${t.wsUrl}/private?access_token=SECRET-B`)).rejects.toMatchObject({
        status: 401,
      });
      await expect(openClient(`${t.wsUrl}/strict`, { origin: 'http://evil.example' })).rejects.toMatchObject({
        status: 403,
      });
      const ok = await openClient(`${t.wsUrl}/private`, { headers: { 'x-token': 'letmein' } });
      expect(await nextMessage(ok)).toBe('hi');
      ok.close();

      const accepted = { 'wsgate.handshake.outcome': 'accepted', 'http.response.status_code': 101 };
      expect(await otel.value(HANDSHAKES, { ...accepted, 'http.route': '/echo/:room' })).toBe(1);
      expect(await otel.value(HANDSHAKES, { ...accepted, 'http.route': '/private' })).toBe(1);
      const refused = { 'wsgate.handshake.outcome': 'rejected', 'http.request.method': 'GET' };
      expect(
        await otel.value(HANDSHAKES, {
          ...refused,
          'http.response.status_code': 401,
          'http.route': '/private',
        }),
      ).toBe(1);
      expect(
        await otel.value(HANDSHAKES, {
          ...refused,
          'http.response.status_code': 403,
          'http.route': '/strict',
        }),
      ).toBe(1);
      expect(await otel.count('wsgate.server.handshake.duration', { 'http.response.status_code': 401 })).toBe(
        1,
      );
      expect(await otel.count('wsgate.server.handshake.duration', accepted)).toBe(2);

      // A fan-out: one member publishes to the other, then the server to both.
      const [a, b] = [await openClient(`${t.wsUrl}/room/1`), await openClient(`${t.wsUrl}/room/1`)];
      expect([await nextMessage(a), await nextMessage(b)]).toEqual(['joined', 'joined']);
      a.send('x');
      expect(await nextMessage(b)).toBe('x');
      t.gate.publish('room:1', 'y');
      expect([await nextMessage(a), await nextMessage(b)]).toEqual(['y', 'y']);
      const fanout = (await otel.points('wsgate.server.publish.fanout')).map((p) => ({
        attributes: p.attributes,
        value: p.value,
      }));
      expect(fanout).toHaveLength(1);
      expect(fanout[0]!.attributes).toEqual({
        'messaging.system': 'wsgate',
        'messaging.operation.type': 'send',
        'messaging.destination.template': 'room:*',
      });
      expect(fanout[0]!.value).toMatchObject({ count: 2, sum: 3, min: 1, max: 2 });
      expect(await otel.value('wsgate.server.topics')).toBe(1);
      a.close();
      b.close();

      // A slow consumer: the server writes past backpressure.limit and the session is closed with 1013.
      const flood = await openClient(`${t.wsUrl}/flood`);
      flood.send('go');
      expect((await closed(flood)).code).toBe(1013);
      expect(
        await otel.value('wsgate.server.slow_consumers', { 'wsgate.slow_consumer.action': 'close' }),
      ).toBe(1);
      expect(
        await otel.value('wsgate.server.slow_consumers', { 'wsgate.slow_consumer.action': 'drop' }),
      ).toBe(0);
      await until(() => t.gate.stats().open === 0, 'every session to close');
      expect(
        await otel.count('wsgate.server.connection.duration', {
          'http.route': '/flood',
          'wsgate.close.code': 1013,
        }),
      ).toBe(1);

      // Spans: one SERVER span per handshake, named for the route, with the status.
      const spans = await otel.spans();
      expect(spans).toHaveLength(7);
      for (const s of spans) expect(s.kind).toBe(SpanKind.SERVER);
      const echoSpan = spans.find((s) => s.attributes['url.path'] === '/echo/lobby')!;
      expect(echoSpan.name).toBe('GET /echo/:room');
      expect(echoSpan.attributes).toMatchObject({
        'http.request.method': 'GET',
        'http.response.status_code': 101,
        'http.route': '/echo/:room',
        'url.query': 'token=[redacted]&room=[redacted]',
        'url.scheme': 'http',
        'network.peer.address': '127.0.0.1',
        'client.address': '127.0.0.1',
        'user_agent.original': 'otel-test',
        'wsgate.handshake.outcome': 'accepted',
      });
      expect(echoSpan.attributes['wsgate.session.id']).toEqual(expect.any(String));
      const denied = spans.find((s) => s.attributes['http.response.status_code'] === 401)!;
      expect(denied.name).toBe('GET /private');
      expect(denied.attributes).toMatchObject({
        'http.route': '/private',
        'url.path': '/private',
        'url.query': 'access_token=[redacted]',
        'wsgate.handshake.outcome': 'rejected',
        'wsgate.handshake.reason': 'Authentication required',
      });
      // A 4xx is the client's answer, not a server error (the HTTP conventions).
      expect(denied.status.code).toBe(SpanStatusCode.UNSET);
      const forbidden = spans.find((s) => s.attributes['http.response.status_code'] === 403)!;
      expect(forbidden.name).toBe('GET /strict');
      expect(forbidden.attributes['wsgate.handshake.reason']).toMatch(/Origin/);
      for (const s of spans)
        expect(s.endTime[0] * 1e9 + s.endTime[1]).toBeGreaterThanOrEqual(
          s.startTime[0] * 1e9 + s.startTime[1],
        );

      // Metrics carry bounded attributes only: no path, query, topic name, address or session id.
      expect(await otel.metricAttributeNames()).toEqual([
        'http.request.method',
        'http.response.status_code',
        'http.route',
        'messaging.destination.template',
        'messaging.operation.type',
        'messaging.system',
        'network.io.direction',
        'wsgate.close.code',
        'wsgate.handshake.outcome',
        'wsgate.slow_consumer.action',
      ]);
      const values = await otel.everyAttributeValue();
      expect(values.length).toBeGreaterThan(50);
      expect(values.filter((v) => v.includes('SECRET'))).toEqual([]);

      // Uninstrumented: nothing more is recorded.
      uninstrument();
      const again = await openClient(`${t.wsUrl}/echo/lobby`);
      expect(t.gate.stats().open).toBe(1);
      // The SDK keeps reporting the last observed value of an observable that is no longer observed.
      expect(await otel.value('wsgate.server.active_connections')).toBe(0);
      expect(await otel.value(HANDSHAKES, { ...accepted, 'http.route': '/echo/:room' })).toBe(1);
      expect(await otel.spans()).toHaveLength(7);
      again.close();
    } finally {
      uninstrument();
      await t.close();
      await otel.shutdown();
    }
  });
});
