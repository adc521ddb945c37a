/** @module @wsgate/fastify: a Fastify 5 plugin whose hooks and schema decide before the WebSocket handshake. */
import { wsgate } from './plugin.js';

// The same core names from every adapter: Session, HttpError, CloseCode, memoryBroker, the option types...
export * from '@wsgate/core/common';
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
