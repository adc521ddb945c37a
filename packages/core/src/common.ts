/**
 * @module @wsgate/core/common: the core names every adapter re-exports (`export * from '@wsgate/core/common'`),
 * so an app imports them from `@wsgate/express`, `@wsgate/fastify` or `@wsgate/koa` alone, the same in each.
 */
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
} from './index.js';
