/** @module @wsgate/client: a wsgate.v1 client that reconnects, resumes topics and carries requests both ways. */
export {
  type BackoffOptions,
  backoffDelay,
  closeDecision,
  type Decision,
  statusDecision,
} from './backoff.js';
export { Client, connect } from './client.js';
export type { Data } from './envelope.js';
export { RequestError } from './request-error.js';
export type {
  ClientEvents,
  CloseInfo,
  ConnectOptions,
  MessageMeta,
  RequestHandler,
  State,
  WebSocketConstructor,
  WebSocketLike,
} from './types.js';
