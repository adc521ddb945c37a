/** @module @wsgate/koa: Koa 2/3 adapter; the app's middleware chain decides before the WebSocket handshake. */
// The same core names from every adapter: Session, HttpError, CloseCode, memoryBroker, the option types...
export * from '@wsgate/core/common';
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
