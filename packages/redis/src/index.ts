/** @module @wsgate/redis: a wsgate broker over Redis pub/sub, for topics across processes and machines. */
export { RedisBrokerError, type RedisBrokerErrorCode } from './errors.js';
export type {
  RedisBrokerClusterOptions,
  RedisBrokerCommonOptions,
  RedisBrokerConnectionOptions,
  RedisBrokerOptions,
  RedisBrokerUrlOptions,
} from './options.js';
export {
  RedisBroker,
  type RedisBrokerEvents,
  type RedisBrokerStats,
  type RedisBrokerStatus,
  redisBroker,
} from './redis-broker.js';
