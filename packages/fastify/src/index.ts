/** @module @wsgate/fastify: a Fastify 5 plugin whose hooks and schema decide before the WebSocket handshake. */
import { wsgate } from './plugin.js';

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
export { FastifyGate } from './gate.js';
export { wsgate } from './plugin.js';
export type {
  FastifyGateOptions,
  FastifyGateTypes,
  FastifyUser,
  FastifyWsHandler,
  InjectWSOptions,
  WsgateFastifyOptions,
  WsHandler,
} from './types.js';
export default wsgate;
