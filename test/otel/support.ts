import type { Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** The OpenTelemetry SDK with in-memory exporters: what a test reads metrics and spans from. */
export interface Telemetry {
  meterProvider: MeterProvider;
  tracerProvider: BasicTracerProvider;
  /** Every data point of one metric, as of now (cumulative). */
  points(name: string): Promise<Array<DataPoint<number | Histogram>>>;
  /** The value of the one data point of a metric whose attributes include `match` (0 when none). */
  value(name: string, match?: Attributes): Promise<number>;
  /** Histogram count of the data points whose attributes include `match`. */
  count(name: string, match?: Attributes): Promise<number>;
  /** Ended spans. */
  spans(): Promise<ReadableSpan[]>;
  /** The attribute names used on any metric data point. */
  metricAttributeNames(): Promise<string[]>;
  /** Every attribute value recorded anywhere (metrics and spans), for leak checks. */
  everyAttributeValue(): Promise<string[]>;
  shutdown(): Promise<void>;
}

export function telemetry(): Telemetry {
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Exports only when asked (forceFlush): the interval is never reached during a test.
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });

  async function all(): Promise<Map<string, Array<DataPoint<number | Histogram>>>> {
    metricExporter.reset();
    await reader.forceFlush();
    const out = new Map<string, Array<DataPoint<number | Histogram>>>();
    for (const rm of metricExporter.getMetrics())
      for (const sm of rm.scopeMetrics)
        for (const m of sm.metrics)
          out.set(m.descriptor.name, m.dataPoints as Array<DataPoint<number | Histogram>>);
    return out;
  }
  const matches = (p: DataPoint<unknown>, match: Attributes) =>
    Object.entries(match).every(([k, v]) => p.attributes[k] === v);

  const t: Telemetry = {
    meterProvider,
    tracerProvider,
    async points(name) {
      return (await all()).get(name) ?? [];
    },
    async value(name, match = {}) {
      const found = (await t.points(name)).filter((p) => matches(p, match));
      if (found.length > 1) throw new Error(`${name}: ${found.length} points match ${JSON.stringify(match)}`);
      return (found[0]?.value as number | undefined) ?? 0;
    },
    async count(name, match = {}) {
      let n = 0;
      for (const p of await t.points(name)) if (matches(p, match)) n += (p.value as Histogram).count;
      return n;
    },
    async spans() {
      await tracerProvider.forceFlush();
      return spanExporter.getFinishedSpans();
    },
    async metricAttributeNames() {
      const names = new Set<string>();
      for (const points of (await all()).values())
        for (const p of points) for (const k of Object.keys(p.attributes)) names.add(k);
      return [...names].sort();
    },
    async everyAttributeValue() {
      const values: string[] = [];
      for (const points of (await all()).values())
        for (const p of points) for (const v of Object.values(p.attributes)) values.push(String(v));
      for (const s of await t.spans()) {
        values.push(s.name);
        for (const v of Object.values(s.attributes)) values.push(String(v));
      }
      return values;
    },
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
  return t;
}
