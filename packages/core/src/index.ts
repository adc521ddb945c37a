/** @module @wsgate/core: the WebSocket upgrade pipeline, sessions, topics and shutdown, framework-free. */
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
} from './broker.js';
export { CloseCode, isValidCloseCode } from './close-codes.js';
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
export { type CloseOptions, createGate, Gate, type GateEvents } from './gate.js';
export type { AllowedHosts } from './hosts.js';
export { defaultReason, errorAnswer, HttpError } from './http-error.js';
export { type InjectOptions, InjectRejectedError } from './inject.js';
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
export type { OriginPolicy } from './origin.js';
export {
  RequestError,
  type RequestHandler,
  type RequestOptions,
  type WirePosition,
  WSGATE_V1,
} from './protocol/index.js';
export type { ClientInfo, TrustProxy } from './proxy.js';
export { writeRejection } from './reject.js';
export type { RouteParams } from './route-params.js';
export { compilePattern, type Params, RouteTable, splitUrl } from './router.js';
export {
  type Message,
  type SendData,
  Session,
  type SessionEvents,
  type SubscribeOptions,
} from './session.js';
export { SessionSet } from './sessions.js';
export type { GateStats } from './stats.js';
export type {
  HistoryMessage,
  HistoryOptions,
  HistoryPage,
  HistoryPolicy,
  Position,
  ResetInfo,
  Retention,
} from './topics/positions.js';
export { type AcceptOptions, type Handler, PreparedUpgrade, UpgradeAbortedError } from './upgrade.js';
