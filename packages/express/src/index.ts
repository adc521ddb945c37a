/** @module @wsgate/express: Express 4/5 adapter; the app's middleware decides before the WebSocket handshake. */
// The same core names from every adapter: Session, HttpError, CloseCode, memoryBroker, the option types...
export * from '@wsgate/core/common';
export { type ExpressApp, ExpressGate, wsgate } from './gate.js';
export type { ExpressGateOptions, ExpressUser, ExpressWsHandler, WsRouteMatcher } from './types.js';
