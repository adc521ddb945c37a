/** @module @wsgate/express: Express 4/5 adapter; the app's middleware decides before the WebSocket handshake. */
export { type ExpressApp, ExpressGate, type ExpressGateOptions, wsgate } from './gate.js';
export type { ExpressUser, ExpressWsHandler, WsRouteMatcher } from './types.js';
