/** @module @wsgate/fastify: a Fastify 5 plugin whose hooks and schema decide before the WebSocket handshake. */
import { wsgate } from './plugin.js';

export { InjectRejectedError, type Session } from '@wsgate/core';
export { wsgate } from './plugin.js';
export type { InjectWSOptions, WsgateFastifyOptions, WsHandler } from './types.js';
export default wsgate;
