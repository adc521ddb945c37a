/**
 * The names wsgate's OpenTelemetry instrumentation records. Semantic-convention names where one exists
 * (`http.*`, `url.*`, `network.*`, `client.*`, `error.type`, `messaging.*`); the rest live under `wsgate.`,
 * as OpenTelemetry asks of names a library defines itself (there are no WebSocket conventions yet).
 */

/** The metrics `instrument()` records (their units and attributes: the README's OpenTelemetry table). */
export const Metric = {
  /** Sessions open now (observed from `gate.stats().open`). */
  activeConnections: 'wsgate.server.active_connections',
  /** Handshakes between the first checks and their answer (observed). */
  pendingHandshakes: 'wsgate.server.pending_handshakes',
  /** Handshakes that ended, by outcome, `http.response.status_code` and `http.route`. */
  handshakes: 'wsgate.server.handshakes',
  /** Seconds from the upgrade request to the 101 or the refusal. */
  handshakeDuration: 'wsgate.server.handshake.duration',
  /** Seconds a session stayed open, by `http.route` and close code. */
  connectionDuration: 'wsgate.server.connection.duration',
  /** Messages received and sent, by `network.io.direction` (observed). */
  messages: 'wsgate.server.messages',
  /** Payload bytes received and sent, by `network.io.direction` (observed). */
  messageBytes: 'wsgate.server.message.bytes',
  /** Backpressure-limit hits, by action: `close` or `drop` (observed). */
  slowConsumers: 'wsgate.server.slow_consumers',
  /** Topics with a local member (observed). */
  topics: 'wsgate.server.topics',
  /** Local sessions each published message was written to. */
  fanout: 'wsgate.server.publish.fanout',
} as const;

/** The attributes wsgate defines (the rest are semantic-convention names, {@link Semconv}). */
export const Attr = {
  /** `accepted` (101), `rejected` (an HTTP refusal) or `abandoned` (the client left before an answer). */
  outcome: 'wsgate.handshake.outcome',
  /** The refusal's reason as the client was told it (spans only). */
  reason: 'wsgate.handshake.reason',
  /** The close code a session ended with. */
  closeCode: 'wsgate.close.code',
  /** What the backpressure limit did: `close` (the session, 1013) or `drop` (one message). */
  slowAction: 'wsgate.slow_consumer.action',
  /** `session.id` of the accepted session (spans only). */
  sessionId: 'wsgate.session.id',
} as const;

/** The semantic-convention attribute names wsgate records (stable unless noted). */
export const Semconv = {
  method: 'http.request.method',
  status: 'http.response.status_code',
  route: 'http.route',
  path: 'url.path',
  query: 'url.query',
  scheme: 'url.scheme',
  peerAddress: 'network.peer.address',
  peerPort: 'network.peer.port',
  protocolVersion: 'network.protocol.version',
  ioDirection: 'network.io.direction',
  clientAddress: 'client.address',
  userAgent: 'user_agent.original',
  errorType: 'error.type',
  /** Messaging conventions (development status). */
  messagingSystem: 'messaging.system',
  messagingOperationType: 'messaging.operation.type',
  destinationTemplate: 'messaging.destination.template',
} as const;

/** Bucket boundaries (seconds) of `http.server.request.duration` in the HTTP conventions. */
export const HANDSHAKE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** Connection lifetimes, seconds: a second to a day. */
export const CONNECTION_BUCKETS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400];
/** Sessions reached by one published message. */
export const FANOUT_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
