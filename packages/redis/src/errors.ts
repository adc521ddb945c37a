/** Codes of the errors a {@link RedisBrokerError} carries, so handlers can tell them apart. */
export type RedisBrokerErrorCode =
  /** Redis could not be reached within `connectTimeout` after the broker was created. */
  | 'ERR_WSGATE_REDIS_CONNECT'
  /** A working connection to Redis was lost; publishes are dropped until it is back. */
  | 'ERR_WSGATE_REDIS_DOWN'
  /** A publish failed (dropped during an outage, or refused by Redis). */
  | 'ERR_WSGATE_REDIS_PUBLISH'
  /** A SUBSCRIBE or UNSUBSCRIBE was refused by Redis (an ACL, for instance). */
  | 'ERR_WSGATE_REDIS_SUBSCRIBE'
  /** A message on one of our channels was not a wsgate envelope (someone else published to it). */
  | 'ERR_WSGATE_REDIS_MALFORMED';

/** What `@wsgate/redis` reports through the gate's `onError` (phase `'broker'`). */
export class RedisBrokerError extends Error {
  /** Which failure this is. */
  readonly code: RedisBrokerErrorCode;

  constructor(code: RedisBrokerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisBrokerError';
    this.code = code;
  }
}
