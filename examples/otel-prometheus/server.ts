/**
 * wsgate's OpenTelemetry metrics scraped by Prometheus: `@wsgate/core/otel` records into an SDK MeterProvider
 * whose reader is `@opentelemetry/exporter-prometheus`, served at `/metrics` beside the WebSocket routes.
 * Run it from the repository root with `pnpm --filter @wsgate/example-otel-prometheus start`; PORT (3000) and
 * HOST (127.0.0.1: this machine only) come from the environment.
 */
import { createServer } from 'node:http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { createGate } from '@wsgate/core';
import { instrument } from '@wsgate/core/otel';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

// No server of its own: the exporter answers /metrics on the app's server (one port to expose).
const exporter = new PrometheusExporter({ preventServerStart: true });
const meterProvider = new MeterProvider({ readers: [exporter] });

const gate = createGate({
  authenticate: (req) => {
    // A browser cannot set headers on a WebSocket: the token comes in the query (never recorded: the
    // query reaches telemetry redacted).
    const token = new URL(req.url ?? '/', 'http://localhost').searchParams.get('token');
    return token === (process.env.TOKEN ?? 'demo') ? { name: 'demo' } : undefined;
  },
});
const uninstrument = instrument(gate, {
  meterProvider,
  // `room:lobby` -> `room:*`: a bounded label for the fan-out histogram.
  topicTemplate: (topic) => topic.replace(/:.*$/, ':*'),
});

gate.route('/echo', (session) => {
  session.on('message', (message) => session.send(message));
});

gate.route('/rooms/:room', (session) => {
  const topic = `room:${session.params.room}`;
  session.subscribe(topic);
  session.on('message', (message) => session.publish(topic, message));
});

const server = createServer((req, res) => {
  if (req.url === '/metrics') return exporter.getMetricsRequestHandler(req, res);
  res
    .writeHead(404, { 'content-type': 'text/plain' })
    .end('WebSockets at /echo and /rooms/:room; metrics at /metrics\n');
});
gate.attach(server);
server.listen(port, host, () => {
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  console.log(
    `wsgate metrics on http://localhost:${actual}/metrics (ws://localhost:${actual}/echo?token=demo)`,
  );
});

const stop = async () => {
  uninstrument();
  await gate.close();
  server.close();
  await meterProvider.shutdown();
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
