/** @module @wsgate/core/otel: OpenTelemetry metrics and handshake spans (needs the optional peer `@opentelemetry/api`). */
import type { IncomingMessage } from 'node:http';
import {
  type Attributes,
  type BatchObservableResult,
  context,
  type Meter,
  type MeterProvider,
  metrics,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { type Gate, type GateEvents, redactUrl, type Session } from '../index.js';
import { PreparedUpgrade } from '../upgrade/prepared-upgrade.js';
import { Attr, CONNECTION_BUCKETS, FANOUT_BUCKETS, HANDSHAKE_BUCKETS, Metric, Semconv } from './names.js';

export { Attr, Metric, Semconv } from './names.js';

/** Options of {@link instrument}. */
export interface InstrumentOptions {
  /** Where metrics go. @default the global provider (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider | undefined;
  /** Where handshake spans go. @default the global provider (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider | undefined;
  /**
   * Maps a topic to a low-cardinality template for `messaging.destination.template` on the fan-out
   * histogram, e.g. `(t) => t.replace(/:.*$/, ':*')` for `room:lobby` -> `room:*`. Return undefined to leave
   * the attribute out. Topic names themselves are never recorded (they are unbounded: a room per user).
   * @default none: no topic attribute
   */
  topicTemplate?: ((topic: string) => string | undefined) | undefined;
}

/** The instrumentation scope every meter and tracer is created with. */
export const SCOPE = '@wsgate/core';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** The gate's `handshake` event's result. */
type HandshakeResult<TUser> = GateEvents<TUser>['handshake'][1];

/** A handshake in progress: when it began, and its span when tracing. */
interface Started {
  at: number;
  span: Span | undefined;
}

/**
 * Records a gate's metrics and handshake spans with OpenTelemetry (names in the README's table and in
 * `names.ts`): open sessions, pending handshakes, handshakes by outcome, status and route, their duration,
 * connection lifetimes by route and close code, messages and bytes in and out, slow-consumer closes and
 * drops, topics, and the fan-out of each published message; one SERVER span per handshake, from the
 * request to the 101 or the refusal, its parent taken from the request's trace headers (`traceparent`).
 *
 * Counters that the gate already keeps (`gate.stats()`) are observed at collection time, so they cost
 * nothing per message; the rest listen to the gate's events. No attribute ever holds a query value (the
 * query is recorded redacted, `?token=[redacted]`) or a raw path in a metric (metrics use the route
 * pattern, `http.route`). Returns a function that stops recording.
 *
 * @example
 * ```ts
 * import { instrument } from '@wsgate/core/otel';
 * const uninstrument = instrument(gate, { meterProvider, tracerProvider });
 * ```
 */
export function instrument<TUser>(gate: Gate<TUser>, options: InstrumentOptions = {}): () => void {
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
  const topicTemplate = options.topicTemplate;

  const make = instruments(meter);
  const active = make.gauge(Metric.activeConnections, '{connection}', 'WebSocket sessions open now.');
  const pending = make.gauge(
    Metric.pendingHandshakes,
    '{handshake}',
    'Handshakes between the first checks and their answer (e.g. waiting for authenticate).',
  );
  const topics = make.gauge(Metric.topics, '{topic}', 'Topics with at least one local member.');
  const messages = make.total(
    Metric.messages,
    '{message}',
    'WebSocket messages received (network.io.direction=receive) and sent (transmit).',
  );
  const bytes = make.total(
    Metric.messageBytes,
    'By',
    'Payload bytes of the messages received and sent (frame headers not included).',
  );
  const slow = make.total(
    Metric.slowConsumers,
    '{event}',
    'Times a session hit backpressure.limit: closed with 1013 (action=close) or a message dropped (drop).',
  );
  const observables = [active, pending, topics, messages, bytes, slow];
  const observe = (result: BatchObservableResult): void => {
    const s = gate.stats();
    result.observe(active, s.open);
    result.observe(pending, s.pending);
    result.observe(topics, s.topics);
    result.observe(messages, s.messagesIn, { [Semconv.ioDirection]: 'receive' });
    result.observe(messages, s.messagesOut, { [Semconv.ioDirection]: 'transmit' });
    result.observe(bytes, s.bytesIn, { [Semconv.ioDirection]: 'receive' });
    result.observe(bytes, s.bytesOut, { [Semconv.ioDirection]: 'transmit' });
    result.observe(slow, s.slowConsumers.closed, { [Attr.slowAction]: 'close' });
    result.observe(slow, s.slowConsumers.dropped, { [Attr.slowAction]: 'drop' });
  };
  meter.addBatchObservableCallback(observe, observables);

  const handshakes = meter.createCounter(Metric.handshakes, {
    description: 'WebSocket handshakes that ended, by outcome, HTTP status and route.',
    unit: '{handshake}',
  });
  const handshakeDuration = make.histogram(Metric.handshakeDuration, {
    unit: 's',
    buckets: HANDSHAKE_BUCKETS,
    description: 'Time from the upgrade request to the 101 or the refusal.',
  });
  const connectionDuration = make.histogram(Metric.connectionDuration, {
    unit: 's',
    buckets: CONNECTION_BUCKETS,
    description: 'How long sessions stayed open, by route and close code.',
  });
  const fanout = make.histogram(Metric.fanout, {
    unit: '{session}',
    buckets: FANOUT_BUCKETS,
    description:
      'Local sessions each published message was written to (messages that reached none are not recorded).',
  });

  const started = new WeakMap<IncomingMessage, Started>();
  const opened = new WeakMap<Session<TUser>, number>();

  const onUpgrade = (req: IncomingMessage): void => {
    if (started.has(req)) return;
    const parent = propagation.extract(context.active(), req.headers);
    const method = methodOf(req);
    const span = tracer.startSpan(
      method === '_OTHER' ? 'HTTP' : method,
      { kind: SpanKind.SERVER, attributes: requestAttributes(req, method) },
      parent,
    );
    started.set(req, { at: performance.now(), span: span.isRecording() ? span : undefined });
  };

  const onHandshake = (req: IncomingMessage, result: HandshakeResult<TUser>): void =>
    handshakeListener(req, result, { started, handshakes, handshakeDuration });

  const onOpen = (session: Session<TUser>): void => {
    opened.set(session, performance.now());
  };
  const onClose = (session: Session<TUser>, code: number): void => {
    const at = opened.get(session);
    if (at === undefined) return;
    opened.delete(session);
    connectionDuration.record((performance.now() - at) / 1000, {
      [Semconv.route]: session.route,
      [Attr.closeCode]: code,
    });
  };
  const onPublish = (topic: string, delivered: number): void => {
    const attributes: Attributes = {
      [Semconv.messagingSystem]: 'wsgate',
      [Semconv.messagingOperationType]: 'send',
    };
    const template = topicTemplate?.(topic);
    if (template !== undefined) attributes[Semconv.destinationTemplate] = template;
    fanout.record(delivered, attributes);
  };

  // Each listener's type depends on its event: `never` lets one loop add and remove them all.
  const listeners = Object.entries({
    upgrade: onUpgrade,
    handshake: onHandshake,
    open: onOpen,
    close: onClose,
    publish: onPublish,
  }) as Array<[keyof GateEvents<TUser>, never]>;
  for (const [event, listener] of listeners) gate.on(event, listener);
  return () => {
    for (const [event, listener] of listeners) gate.off(event, listener);
    meter.removeBatchObservableCallback(observe, observables);
  };
}

/**
 * The meter's instrument factories: observable gauges and totals (read at collection time, so they cost
 * nothing per message) and histograms with their bucket boundaries.
 */
function instruments(meter: Meter) {
  return {
    gauge: (name: string, unit: string, description: string) =>
      meter.createObservableUpDownCounter(name, { unit, description }),
    total: (name: string, unit: string, description: string) =>
      meter.createObservableCounter(name, { unit, description }),
    histogram: (name: string, o: { unit: string; buckets: number[]; description: string }) =>
      meter.createHistogram(name, {
        unit: o.unit,
        description: o.description,
        advice: { explicitBucketBoundaries: o.buckets },
      }),
  };
}

/** The end of a handshake: its counter, its duration, and its span. */
function handshakeListener<TUser>(
  req: IncomingMessage,
  result: HandshakeResult<TUser>,
  state: {
    started: WeakMap<IncomingMessage, Started>;
    handshakes: { add(n: number, a: Attributes): void };
    handshakeDuration: { record(n: number, a: Attributes): void };
  },
): void {
  const { status, route, session } = result;
  const outcome = session ? 'accepted' : status === 0 ? 'abandoned' : 'rejected';
  // Low-cardinality attributes only: these also go on the metrics.
  const attributes: Attributes = { [Semconv.method]: methodOf(req), [Attr.outcome]: outcome };
  if (status > 0) attributes[Semconv.status] = status;
  if (route !== undefined) attributes[Semconv.route] = route;
  // The HTTP conventions: a server span or metric is an error only for a 5xx.
  if (status >= 500) attributes[Semconv.errorType] = String(status);
  state.handshakes.add(1, attributes);
  const start = state.started.get(req);
  if (!start) return;
  state.started.delete(req);
  state.handshakeDuration.record((performance.now() - start.at) / 1000, attributes);
  const span = start.span;
  if (!span) return;
  span.setAttributes(attributes);
  const client = session?.remoteAddress ?? PreparedUpgrade.of(req)?.client.ip;
  if (client) span.setAttribute(Semconv.clientAddress, client);
  if (session) span.setAttribute(Attr.sessionId, session.id);
  else if (result.reason) span.setAttribute(Attr.reason, result.reason);
  if (route !== undefined) span.updateName(`${attributes[Semconv.method]} ${route}`);
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: result.reason });
  span.end();
}

function methodOf(req: IncomingMessage): string {
  const m = req.method ?? 'GET';
  return METHODS.has(m) ? m : '_OTHER';
}

/** What is known of a handshake span at its start. Never a query value, never a header but User-Agent. */
function requestAttributes(req: IncomingMessage, method: string): Attributes {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  let path = q === -1 ? url : url.slice(0, q);
  // absolute-form (`GET http://host/path`): the path only, never the authority.
  if (!path.startsWith('/')) path = path.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/, '') || '/';
  const a: Attributes = {
    [Semconv.method]: method,
    [Semconv.path]: path.split('#')[0]!,
    [Semconv.scheme]: (req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http',
    [Semconv.protocolVersion]: req.httpVersion,
  };
  if (q !== -1) a[Semconv.query] = redactUrl(url.slice(q)).slice(1);
  const peer = req.socket?.remoteAddress;
  if (peer) a[Semconv.peerAddress] = peer.startsWith('::ffff:') && peer.includes('.') ? peer.slice(7) : peer;
  if (req.socket?.remotePort !== undefined) a[Semconv.peerPort] = req.socket.remotePort;
  const ua = req.headers['user-agent'];
  if (ua) a[Semconv.userAgent] = ua;
  return a;
}
