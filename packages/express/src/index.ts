/** @module @wsgate/express: Express 4/5 adapter; the app's middleware decides before the WebSocket handshake. */
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
export { type ExpressApp, ExpressGate, wsgate } from './gate.js';
export type { ExpressGateOptions, ExpressUser, ExpressWsHandler, WsRouteMatcher } from './types.js';
