/** @module @wsgate/koa: Koa 2/3 adapter; the app's middleware chain decides before the WebSocket handshake. */
// The same core re-exports in @wsgate/express, @wsgate/fastify and @wsgate/koa.
export {
  CloseCode,
  type GateOptions,
  type GateStats,
  type Handler,
  HttpError,
  InjectRejectedError,
  type Logger,
  type Message,
  memoryBroker,
  type Params,
  type RouteOptions,
  type RouteParams,
  type SendData,
  Session,
  UpgradeAbortedError,
} from '@wsgate/core';
export { KoaGate, wsgate } from './gate.js';
export type {
  AcceptOptions,
  ContextWs,
  KoaGateOptions,
  KoaWsApp,
  KoaWsArgs,
  KoaWsHandler,
  WsApp,
} from './types.js';
