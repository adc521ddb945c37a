/** @module @wsgate/core: the WebSocket upgrade pipeline, sessions, topics and shutdown, framework-free (what an app writes). */
// @wsgate/core: the WebSocket upgrade pipeline, sessions, topics and shutdown, framework-free.
// What an app writes; what framework adapters are built from is `@wsgate/core/adapter`.

export { CloseCode, isValidCloseCode } from './close-policy.js';
export {
  type AsyncApiDocument,
  type AsyncApiOptions,
  toJsonSchema,
} from './contracts/asyncapi.js';
export type {
  ContractOptions,
  InvalidMessage,
  MessageOf,
  OnInvalid,
  SendOf,
} from './contracts/contract.js';
export { type Expiry, type ExpiryOptions, expireAt, expiring } from './contracts/expiry.js';
export type { InferMessage, InferSend, StandardSchemaV1 } from './contracts/schema.js';
export { createGate, Gate } from './gate.js';
export type { CloseOptions, GateEvents } from './gate-events.js';
export { consoleLogger, type Logger, redactUrl, silentLogger } from './logger.js';
export type {
  Authenticate,
  BackpressureOptions,
  ErrorContext,
  GateOptions,
  HeartbeatOptions,
  LimitOptions,
  MessageRateOptions,
  Protocols,
  RouteOptions,
  Settings,
} from './options.js';
export {
  RequestError,
  type RequestHandler,
  type RequestOptions,
  type WirePosition,
  WSGATE_V1,
} from './protocol/index.js';
export type { RouteParams } from './routes/route-params.js';
export type { Params } from './routes/router.js';
export {
  type Message,
  type SendData,
  Session,
  type SessionEvents,
  type SubscribeOptions,
} from './session/session.js';
export { SessionSet } from './session/sessions.js';
export type { GateStats } from './stats.js';
export {
  type Broker,
  type BrokerContext,
  type BrokerHistory,
  type BrokerPresence,
  type HistoryRead,
  type HistoryReply,
  type MemoryBus,
  memoryBroker,
  memoryBus,
  type OnBrokerMessage,
  type PresenceChange,
  type PresenceMember,
} from './topics/broker.js';
export type {
  HistoryMessage,
  HistoryOptions,
  HistoryPage,
  HistoryPolicy,
  Position,
  ResetInfo,
  Retention,
} from './topics/positions.js';
export type { AllowedHosts } from './upgrade/hosts.js';
export { defaultReason, HttpError } from './upgrade/http-error.js';
export { type InjectOptions, InjectRejectedError } from './upgrade/inject.js';
export type { OriginPolicy } from './upgrade/origin.js';
export { type Handler, UpgradeAbortedError } from './upgrade/prepared-upgrade.js';
export type { ClientInfo, TrustProxy } from './upgrade/proxy.js';
export type { RefusalInfo, RefusalLogLevel } from './upgrade/refusal.js';
