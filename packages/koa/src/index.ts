/** @module @wsgate/koa: Koa 2/3 adapter; the app's middleware chain decides before the WebSocket handshake. */
export {
  type AcceptOptions,
  type GateOptions,
  type Handler,
  HttpError,
  type RouteOptions,
  Session,
  UpgradeAbortedError,
} from '@wsgate/core';
export { KoaGate, wsgate } from './gate.js';
export type { ContextWs, KoaWsApp, KoaWsArgs, KoaWsHandler, WsApp } from './types.js';
